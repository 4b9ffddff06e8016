// The page a reset link opens: a new password for the token in the fragment. Success
// ends every session of the account and sends the person to log in.

import { byId } from "./lib/dom.js";
import { clearErrors, focusFirstInvalid, mountRevealToggles, setBusy, setFieldError, showError } from "./lib/forms.js";
import { INCOMPLETE_LINK, deadLinkReason, isDeadLink, showOutcome, takeLinkToken } from "./lib/link-token.js";
import { postJson } from "./lib/post.js";

const token = takeLinkToken();
const form = byId("reset-form");
const password = form.elements.namedItem("new_password");

async function submit(event) {
  event.preventDefault();
  clearErrors(form);
  if (password.value.length < 8) {
    setFieldError(password, password.value ? "Use at least 8 characters." : "Enter a new password.");
    focusFirstInvalid(form);
    return;
  }
  setBusy(form, true);
  try {
    await postJson("/api/auth/password/reset", { token, new_password: password.value });
  } catch (error) {
    setBusy(form, false);
    if (isDeadLink(error)) showOutcome("token-invalid", deadLinkReason(error));
    else showError(form, error);
    return;
  }
  window.location.replace("/login?notice=password-reset");
}

if (token) {
  byId("token-step").hidden = false;
  form.addEventListener("submit", submit);
  password.addEventListener("input", () => setFieldError(password, ""));
  mountRevealToggles();
  password.focus();
} else {
  showOutcome("token-invalid", INCOMPLETE_LINK);
}
