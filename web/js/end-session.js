// /end-session: an application asked to log the person out without saying who they are (no
// valid id_token_hint), so the auth service cannot tell which session, nor whether the
// application may send the browser anywhere afterwards. The person is asked first; "Log
// out" ends this browser's Gatehouse session (POST /api/auth/logout: the refresh cookie,
// every tab) and the page says so, without going back to the application.

import { showOutcome } from "./lib/authorize-request.js";
import { announce, byId } from "./lib/dom.js";
import { setBusy } from "./lib/forms.js";
import { logOut } from "./lib/session.js";

const form = byId("logout-form");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  setBusy(form, true);
  await logOut();
  showOutcome("logged-out");
  announce("You are logged out.");
});
form.dataset.ready = "true"; // tests and tools: the script, not the browser, submits now
