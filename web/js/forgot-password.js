// "Forgot your password?": asks for a reset link. The answer is always the same neutral
// confirmation, whether or not the address has an account.

import { announce, byId } from "./dom.js";
import {
  clearErrors,
  focusFirstInvalid,
  rateLimitMessage,
  setBusy,
  setFieldError,
  showError,
} from "./forms.js";
import { ApiError, jsonOrThrow } from "./problem.js";

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
    const response = await fetch("/api/auth/password/forgot", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({ email: address }),
    });
    await jsonOrThrow(response);
  } catch (error) {
    setBusy(form, false);
    const limited = error instanceof ApiError && error.problem.status === 429;
    showError(form, error, { messages: limited ? { 429: rateLimitMessage(error) } : {} });
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
