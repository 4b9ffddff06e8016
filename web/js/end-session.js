// /end-session: an application asked to log the person out without saying who they are (no
// valid id_token_hint), so they are asked first. "Log out" ends the Gatehouse session (the
// refresh cookie, every tab). With `?request=<id>` (the application named itself and an
// address registered for it) the auth service then says, once, where to send the browser
// back to; without one the page says "You are logged out".

import { leavingUrl, logoutPath, requestIdFromLocation, showOutcome } from "./lib/authorize-request.js";
import { announce, byId } from "./lib/dom.js";
import { setBusy } from "./lib/forms.js";
import { postJson } from "./lib/post.js";
import { logOut } from "./lib/session.js";

const id = requestIdFromLocation();
const form = byId("logout-form");

// Where the application wants the browser after the log-out; null to stay here.
async function applicationsUrl() {
  if (!id) return null;
  try {
    const { url } = (await postJson(logoutPath(id), {})) ?? {};
    return leavingUrl(url);
  } catch {
    // The request expired meanwhile, or the auth service is away: the log-out is done anyway.
    byId("logged-out-reason").textContent = "We couldn't send you back to the application: go back to it yourself.";
    return null;
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  setBusy(form, true);
  await logOut();
  const url = await applicationsUrl();
  if (url) {
    window.location.assign(url);
    return;
  }
  showOutcome("logged-out");
  announce("You are logged out.");
});
form.dataset.ready = "true"; // tests and tools: the script, not the browser, submits now
