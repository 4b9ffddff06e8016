// What every page that needs a user does first: restore the session from the refresh
// cookie, or send the visitor to log in, or say that Gatehouse cannot be reached.
import { byId } from "./dom.js";
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

/** The access token of the restored session; null when the page is being left (to log
 * in) or cannot go on (the error is shown). */
export async function restoreSessionOrLeave() {
  let token;
  try {
    token = await refreshSession();
  } catch (error) {
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
