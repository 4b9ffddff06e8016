// What every page that needs a user does first: restore the session from the refresh
// cookie, or send the visitor to log in, or say that Gatehouse cannot be reached.
//
// While the stack starts, the gateway already serves these pages but answers the APIs with
// 502/503/504 (no healthy server behind it yet, for some seconds): that is "starting", said
// as such and retried with backoff, not a network fault.
import { byId } from "./dom.js";
import { isGatewayStarting } from "./forms.js";
import {
  SessionUnavailableError,
  onOtherTabSessionChange,
  redirectToLogin,
  refreshSession,
} from "./session.js";

/** Replaces the page's loading status with an error banner (its "Try again" reloads). */
export function showPageError(message) {
  byId("page-status").hidden = true;
  byId("page-error-text").textContent = message;
  byId("page-error").hidden = false;
}

const FIRST_RETRY_MS = 500;
const LONGEST_RETRY_MS = 4000;
const GIVE_UP_AFTER_MS = 120_000;

/** Runs `task()` until it settles otherwise than with the gateway's 502/503/504, saying
 * meanwhile that Gatehouse is starting; after two minutes the last error is thrown. */
export async function whileStarting(task) {
  const started = Date.now();
  let wait = FIRST_RETRY_MS;
  for (;;) {
    try {
      return await task();
    } catch (error) {
      if (!isGatewayStarting(error) || Date.now() - started > GIVE_UP_AFTER_MS) throw error;
    }
    byId("page-status-text").textContent = "Gatehouse is starting… this page carries on by itself.";
    byId("page-status").hidden = false;
    await new Promise((done) => setTimeout(done, wait));
    wait = Math.min(wait * 2, LONGEST_RETRY_MS);
  }
}

/** The access token of the restored session; null when the page is being left (to log
 * in) or cannot go on (the error is shown). */
export async function restoreSessionOrLeave() {
  let token;
  try {
    token = await whileStarting(() => refreshSession());
  } catch (error) {
    if (isGatewayStarting(error)) {
      showPageError("Gatehouse is taking long to start. Try again in a moment.");
      return null;
    }
    if (error instanceof SessionUnavailableError) {
      showPageError("We can't reach Gatehouse right now. Check your connection and try again.");
      return null;
    }
    throw error;
  }
  if (!token) redirectToLogin();
  return token;
}

/** Keeps a page that needs a user in step with its session: its "Try again" button reloads,
 * a log-out in another tab leaves (a log-in there, maybe as someone else, starts over), and
 * a return through the back/forward cache never shows a stale session. */
export function followSession() {
  byId("page-retry").addEventListener("click", () => window.location.reload());
  onOtherTabSessionChange((change, { everywhere } = {}) => {
    // Log-out in another tab of this browser ends this tab's session with it: the same
    // person, so "logged out"; "everywhere" ended it as it would any other device's.
    const notice = everywhere ? "session-ended" : "logged-out";
    if (change === "logout") window.location.replace(`/login?notice=${notice}`);
    else window.location.reload();
  });
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) window.location.reload();
  });
}
