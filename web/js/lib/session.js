// The user's session in this tab.
//
// The access token lives only in this module's memory. The refresh token is an
// HttpOnly cookie (Path=/api/auth) that this code never sees. Tabs of this
// origin coordinate through a Web Lock, so that only one of them spends the
// refresh cookie at a time, and a BroadcastChannel, over which a tab shares the
// token it just obtained and announces log-ins and log-outs.
//
// A session that ends without this browser logging out (revoked from another device, a
// password reset, "log out everywhere" elsewhere) sends the person to log in with
// `notice=session-ended`. To tell that from a visitor who never had a session, the origin's
// localStorage keeps one non-secret mark while this browser has a session ("1", never a token).

import { loginUrlReturningHere } from "./next.js";

const REFRESH_URL = "/api/auth/refresh";
const LOGOUT_URL = "/api/auth/logout";
const LOCK_NAME = "gatehouse-refresh";
const SIGNED_IN_MARK = "gatehouse-signed-in";
const BROADCAST_HEADSTART_MS = 100;
// The auth service refuses cookie-authenticated calls without it (CSRF defence).
const CSRF_HEADERS = { "X-Requested-With": "fetch" };

/** The session is over: the user must log in again. */
export class SessionEndedError extends Error {
  constructor() {
    super("The session has ended.");
    this.name = "SessionEndedError";
  }
}

/** The auth service could not be reached or failed; the session may still be fine. */
export class SessionUnavailableError extends Error {
  /** `fromApp`: the auth service itself answered (a problem+json), not the gateway. */
  constructor(status, { fromApp = false } = {}) {
    super(status ? `The auth service answered ${status}.` : "The auth service is unreachable.");
    this.name = "SessionUnavailableError";
    this.status = status;
    this.fromApp = fromApp;
  }
}

let accessToken = null;
// Bumped whenever the token changes, here or from another tab.
let generation = 0;
// The refresh this tab is waiting for, shared by every caller that needs one.
let pendingRefresh = null;
// This tab saw its session end without logging out (see redirectToLogin).
let sessionEnded = false;
const listeners = new Set();
const channel = "BroadcastChannel" in window ? new BroadcastChannel("gatehouse-session") : null;

channel?.addEventListener("message", ({ data }) => {
  if (data?.type === "token" && typeof data.accessToken === "string") {
    setToken(data.accessToken);
  } else if (data?.type === "logout" || data?.type === "login") {
    forgetToken();
    for (const listener of listeners) listener(data.type, data);
  }
});

function markSignedIn(signedIn) {
  try {
    if (signedIn) localStorage.setItem(SIGNED_IN_MARK, "1");
    else localStorage.removeItem(SIGNED_IN_MARK);
  } catch {
    // Storage refused (a privacy mode): the log-in page just won't say why.
  }
}

function wasSignedIn() {
  try {
    return localStorage.getItem(SIGNED_IN_MARK) === "1";
  } catch {
    return false;
  }
}

function setToken(token) {
  accessToken = token;
  generation += 1;
}

function forgetToken() {
  accessToken = null;
  generation += 1;
}

function broadcast(message) {
  channel?.postMessage(message);
}

/** Calls `listener("login" | "logout", {everywhere})` when another tab logs in or out. */
export function onOtherTabSessionChange(listener) {
  listeners.add(listener);
}

function withRefreshLock(task) {
  // Web Locks need a secure context (https, or http://localhost).
  if (navigator.locks?.request) return navigator.locks.request(LOCK_NAME, task);
  return task();
}

/**
 * A usable access token, or null when there is no session.
 *
 * `staleToken` is the token that just got a 401: when the token has changed
 * since (another caller or tab refreshed), the new one is returned at once.
 * Concurrent callers share one refresh.
 */
export function refreshSession(staleToken = null) {
  if (accessToken && accessToken !== staleToken) return Promise.resolve(accessToken);
  pendingRefresh ??= refreshAcrossTabs().finally(() => {
    pendingRefresh = null;
  });
  return pendingRefresh;
}

async function refreshAcrossTabs() {
  const seen = generation;
  return new Promise((resolve, reject) => {
    withRefreshLock(async () => {
      // While we queued for the lock another tab refreshed and shared its token.
      if (generation !== seen && accessToken) return resolve(accessToken);
      const token = await spendRefreshCookie();
      resolve(token);
      // Our callers go on at once, but the lock stays ours a moment longer: the lock is
      // granted and the broadcast delivered over separate paths, and the tabs queued behind
      // us should find the new token rather than spend the cookie again.
      if (token) await new Promise((done) => setTimeout(done, BROADCAST_HEADSTART_MS));
    }).catch(reject);
  });
}

async function spendRefreshCookie() {
  let response;
  try {
    response = await fetch(REFRESH_URL, {
      method: "POST",
      headers: CSRF_HEADERS,
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new SessionUnavailableError();
  }
  if (response.ok) {
    const { access_token: token } = await response.json();
    setToken(token);
    markSignedIn(true);
    broadcast({ type: "token", accessToken: token });
    return token;
  }
  // 401 is the auth service's one answer for "no usable session" (none, expired,
  // ended, reused). Anything else (403 CSRF, 429, 5xx) is a fault to show, not a log-out.
  if (response.status !== 401) {
    const fromApp = (response.headers.get("Content-Type") ?? "").includes("problem+json");
    throw new SessionUnavailableError(response.status, { fromApp });
  }
  if (accessToken || wasSignedIn()) sessionEnded = true;
  markSignedIn(false);
  forgetToken();
  return null;
}

/** Sends the user to the login page, to come back here afterwards; it says "Your session
 * ended" when this browser had a session that ended without logging out. */
export function redirectToLogin() {
  const url = loginUrlReturningHere();
  window.location.replace(sessionEnded ? `${url}&notice=session-ended` : url);
}

function withBearer(init, token) {
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${token}`);
  if (init.json !== undefined) headers.set("Content-Type", "application/json");
  const { json, refreshOn401, ...rest } = init;
  const body = json === undefined ? init.body : JSON.stringify(json);
  return { ...rest, body, headers, credentials: "same-origin" };
}

/**
 * A 401 that asks for a recent log-in (RFC 9470 step-up): a refresh cannot help (it keeps
 * `auth_time`), the person has to prove who they are again (see reauth.js).
 */
export function needsRecentLogin(response) {
  const challenge = response.headers.get("WWW-Authenticate") ?? "";
  return response.status === 401 && challenge.includes("insufficient_user_authentication");
}

/** For `refreshOn401`: only an expired or revoked token is worth a refresh; a wrong password is an answer. */
export function onlyExpiredTokens(response) {
  return (response.headers.get("WWW-Authenticate") ?? "").includes("invalid_token");
}

// Whether a 401 is worth a refresh and a retry: not a step-up challenge, and not what the
// caller says is its own answer (a wrong password is not an expired token).
function refreshable(response, init) {
  if (response.status !== 401 || needsRecentLogin(response)) return false;
  return init.refreshOn401 ? init.refreshOn401(response) : true;
}

/**
 * fetch() for the APIs: adds the Bearer token; on a 401 refreshes once and
 * retries once. When the session cannot be refreshed it sends the user to the
 * login page and throws SessionEndedError. `init.json` is sent as JSON;
 * `init.refreshOn401(response)` may decline the refresh for a 401 of the call's own.
 */
export async function apiFetch(path, init = {}) {
  let token = accessToken ?? (await refreshSession());
  if (token) {
    const response = await fetch(path, withBearer(init, token));
    if (!refreshable(response, init)) return response;
    token = await refreshSession(token);
    // A second 401 with a fresh token is the caller's to show, not a reason to loop.
    if (token) return fetch(path, withBearer(init, token));
  }
  redirectToLogin();
  throw new SessionEndedError();
}

/** Keeps a token response of this same session (a re-authentication) and shares it. */
export function adoptToken(tokenResponse) {
  setToken(tokenResponse.access_token);
  broadcast({ type: "token", accessToken: tokenResponse.access_token });
}

/** Keeps the session a log-in or sign-up just opened, and tells the other tabs. */
export function startSession(tokenResponse) {
  setToken(tokenResponse.access_token);
  markSignedIn(true);
  broadcast({ type: "login" });
}

/**
 * Ends the session here and in every other tab. With `everywhere`, first
 * revokes every session of the user on the server.
 */
export async function logOut({ everywhere = false } = {}) {
  if (everywhere) {
    const response = await apiFetch("/api/auth/logout-all", { method: "POST" });
    if (!response.ok) throw new SessionUnavailableError(response.status);
  }
  // Under the lock, so that no other tab is halfway through spending the cookie.
  await withRefreshLock(() =>
    fetch(LOGOUT_URL, { method: "POST", headers: CSRF_HEADERS, credentials: "same-origin" }).catch(
      () => null,
    ),
  );
  forgetToken();
  markSignedIn(false);
  broadcast({ type: "logout", everywhere });
}
