// The page a sign-in link opens (`/login-link#token=…`). Opening it spends nothing: the
// token is in the fragment, which no server or mail scanner sees, and only the "Sign in"
// button POSTs it. A second factor is still asked.

import { byId } from "./lib/dom.js";
import { clearErrors, setBusy, showError } from "./lib/forms.js";
import { INCOMPLETE_LINK, deadLinkReason, isDeadLink, showOutcome, takeLinkToken } from "./lib/link-token.js";
import { askSecondFactor } from "./lib/mfa-login.js";
import { postJson } from "./lib/post.js";
import { startSession } from "./lib/session.js";

const token = takeLinkToken();
const form = byId("link-form");

function signedIn(tokens) {
  startSession(tokens);
  window.location.replace("/");
}

async function submit(event) {
  event.preventDefault();
  clearErrors(form);
  setBusy(form, true);
  let body;
  try {
    body = await postJson("/api/auth/login/email/verify", { token });
  } catch (error) {
    setBusy(form, false);
    if (isDeadLink(error)) showOutcome("token-invalid", deadLinkReason(error));
    else showError(form, error);
    return;
  }
  if (body?.mfa_required) {
    setBusy(form, false);
    byId("link-lede").hidden = true;
    askSecondFactor(body, form, {
      onSession: signedIn,
      // The link is spent: starting over means a new code, or the password.
      onRestart: (message) => (message ? showOutcome("token-invalid", message) : window.location.assign("/login")),
    });
    return;
  }
  signedIn(body);
}

if (token) {
  byId("token-step").hidden = false;
  form.addEventListener("submit", submit);
  form.dataset.ready = "true";
  form.querySelector("button[type=submit]").focus();
} else {
  showOutcome("token-invalid", INCOMPLETE_LINK);
}
