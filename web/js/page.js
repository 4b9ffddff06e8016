// What every page that needs a user does first: restore the session from the refresh
// cookie, or send the visitor to log in, or say that Gatehouse cannot be reached.
import { byId } from "./dom.js";
import { SessionUnavailableError, redirectToLogin, refreshSession } from "./session.js";

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
