// An application's OpenID Connect request, carried on Gatehouse's own origin. The auth
// service validates and keeps the request under an opaque id and sends the browser here
// (`/authorize?request=<id>`): the refresh cookie is SameSite=Strict, so only a page of this
// origin can restore the session; its fetch calls are same-site. For the id the auth
// service answers what comes next, a "decision", which /authorize and /consent follow.

import { byId } from "./dom.js";
import { isGatewayStarting } from "./forms.js";
import { showPageError } from "./page.js";
import { ApiError, rateLimitMessage } from "./problem.js";
import { SessionEndedError, SessionUnavailableError } from "./session.js";

const BASE = "/api/auth/oauth";
// The auth service's ids are random and URL-safe: anything else cannot be one of them.
const REQUEST_ID = /^[A-Za-z0-9_-]{16,128}$/;

/** The `request` id of this page's URL, or null when it has none that could be one. */
export function requestIdFromLocation(location = window.location) {
  const id = new URLSearchParams(location.search).get("request");
  return id && REQUEST_ID.test(id) ? id : null;
}

/** POST: the decision for request `id`; GET: what the consent page draws. */
export const authorizationPath = (id) => `${BASE}/authorize/${encodeURIComponent(id)}`;
export const consentPath = (id) => `${authorizationPath(id)}/consent`;
export const logoutPath = (id) => `${BASE}/logout/${encodeURIComponent(id)}`;

/** The log-in page for request `id`, coming back to /authorize once the person is in. */
export function loginUrlFor(id, { fresh = false, login_hint: hint = null } = {}) {
  const params = new URLSearchParams({ next: `/authorize?request=${id}` });
  if (fresh) params.set("fresh", "1");
  if (typeof hint === "string" && hint) params.set("login_hint", hint);
  return `/login?${params}`;
}

/** `raw` when it is an http(s) URL to send the browser to, else null (never `javascript:`). */
export function leavingUrl(raw) {
  if (typeof raw !== "string") return null;
  try {
    const url = new URL(raw, window.location.origin);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

/**
 * Goes where the auth service's decision for request `id` says: back to the application
 * (its redirect URI, with a code or an error), to log in, or to the consent page. False
 * when the decision is none of these (nothing happened).
 */
export function followDecision(decision, id) {
  switch (decision?.action) {
    case "redirect": {
      const url = leavingUrl(decision.url);
      if (url) window.location.assign(url);
      return Boolean(url);
    }
    case "login":
      // replace: "Back" from the log-in page returns to the application, not to this bounce.
      window.location.replace(loginUrlFor(id, decision));
      return true;
    case "consent":
      window.location.replace(`/consent?request=${encodeURIComponent(id)}`);
      return true;
    default:
      return false;
  }
}

/** Shows the outcome `id` of the page (an element of class "outcome") and hides its steps. */
export function showOutcome(id, reason) {
  for (const part of document.querySelectorAll(".step, .outcome, #page-status")) part.hidden = part.id !== id;
  const outcome = byId(id);
  if (reason) byId(`${id}-reason`).textContent = reason;
  outcome.focus();
}

const UNKNOWN =
  "This sign-in request has expired or has already been used. Go back to the application and sign in again.";

/** Whether a failed call says the request id is unknown (expired, used, never made). */
export function isUnknownRequest(error) {
  if (!(error instanceof ApiError)) return false;
  return error.problem.code === "authorization_request_unknown" || error.problem.status === 404;
}

/** Says what went wrong with the request on the page (its #request-unknown or error banner). */
export function showRequestError(error) {
  if (error instanceof SessionEndedError) return; // already on the way to the log-in page
  if (isUnknownRequest(error)) showOutcome("request-unknown", UNKNOWN);
  else if (isGatewayStarting(error)) showPageError("Gatehouse is taking long to start. Try again in a moment.");
  else if (error instanceof SessionUnavailableError || error instanceof TypeError) {
    showPageError("We can't reach Gatehouse right now. Check your connection and try again.");
  } else if (error instanceof ApiError) {
    showPageError(rateLimitMessage(error) ?? `Gatehouse couldn't go on with this sign-in: ${error.message}`);
  } else showPageError("Something went wrong. Please try again.");
}

/** For a page opened without a usable `?request=`. */
export const INCOMPLETE_REQUEST =
  "This sign-in link is incomplete. Go back to the application and sign in again.";
