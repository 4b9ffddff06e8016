// "Forgot your password?": asks for a reset link. The answer is always the same neutral
// confirmation, whether or not the address has an account.

import { announce, byId } from "./lib/dom.js";
import { clearErrors, focusFirstInvalid, setBusy, setFieldError, showError } from "./lib/forms.js";
import { postJson } from "./lib/post.js";

const form = byId("forgot-form");
const email = form.elements.namedItem("email");

function validate(address) {
  if (!address) setFieldError(email, "Enter your email address.");
  else if (!/^[^\s@]+@[^\s@]+$/.test(address)) setFieldError(email, "Enter an email address like name@example.com.");
  else return true;
  return false;
}

async function submit(event) {
  event.preventDefault();
  clearErrors(form);
  const address = email.value.trim();
  if (!validate(address)) {
    focusFirstInvalid(form);
    return;
  }
  setBusy(form, true);
  try {
    await postJson("/api/auth/password/forgot", { email: address });
  } catch (error) {
    setBusy(form, false);
    showError(form, error);
    return;
  }
  byId("sent-to").textContent = address;
  byId("request-step").hidden = true;
  const sent = byId("request-sent");
  sent.hidden = false;
  sent.focus();
  announce(sent.textContent.trim());
}

form.addEventListener("submit", submit);
email.addEventListener("input", () => setFieldError(email, ""));
