// "Email me a sign-in code": asks for a mail with a 6-digit code (and a link), then takes
// the code, on this device or any other. The request's answer is the same whether or not
// the address has an account, so the page says "if". A second factor is still asked.

import { announce, byId } from "./lib/dom.js";
import { clearErrors, focusFirstInvalid, setBusy, setFieldError, setFormError, showError } from "./lib/forms.js";
import { askSecondFactor } from "./lib/mfa-login.js";
import { nextFromLocation } from "./lib/next.js";
import { postJson } from "./lib/post.js";
import { startSession } from "./lib/session.js";

const next = nextFromLocation();
const emailForm = byId("email-form");
const codeForm = byId("code-form");
const email = emailForm.elements.namedItem("email");
const code = codeForm.elements.namedItem("code");
let address = "";

for (const link of document.querySelectorAll("a[data-keep-next]")) {
  if (next !== "/") link.search = `?next=${encodeURIComponent(next)}`;
}

function askForEmail(message = "") {
  codeForm.hidden = true;
  emailForm.hidden = false;
  code.value = "";
  setFormError(emailForm, message);
  email.focus();
}

async function requestCode(event) {
  event.preventDefault();
  clearErrors(emailForm);
  address = email.value.trim();
  const problem = !address
    ? "Enter your email address."
    : !/^[^\s@]+@[^\s@]+$/.test(address)
      ? "Enter an email address like name@example.com."
      : "";
  if (problem) {
    setFieldError(email, problem);
    focusFirstInvalid(emailForm);
    return;
  }
  setBusy(emailForm, true);
  try {
    await postJson("/api/auth/login/email", { email: address });
  } catch (error) {
    setBusy(emailForm, false);
    showError(emailForm, error);
    return;
  }
  setBusy(emailForm, false);
  byId("sent-to").textContent = address;
  emailForm.hidden = true;
  codeForm.hidden = false;
  clearErrors(codeForm);
  code.focus();
  announce(byId("code-sent").textContent.trim());
}

function signedIn(tokens) {
  startSession(tokens);
  window.location.replace(next);
}

async function signIn(event) {
  event.preventDefault();
  clearErrors(codeForm);
  const value = code.value.replace(/\s+/g, "");
  if (!/^[0-9]{6}$/.test(value)) {
    setFieldError(code, value ? "The code has 6 digits: check the email." : "Enter the 6-digit code from the email.");
    focusFirstInvalid(codeForm);
    return;
  }
  setBusy(codeForm, true);
  let body;
  try {
    body = await postJson("/api/auth/login/email/verify", { email: address, code: value });
  } catch (error) {
    setBusy(codeForm, false);
    showError(codeForm, error, { fieldForCode: { invalid_sign_in_code: "code" } });
    return;
  }
  if (body?.mfa_required) {
    setBusy(codeForm, false);
    askSecondFactor(body, codeForm, {
      onSession: signedIn,
      onRestart: (message) => askForEmail(message || ""),
    });
    return;
  }
  signedIn(body);
}

emailForm.addEventListener("submit", requestCode);
codeForm.addEventListener("submit", signIn);
byId("other-email").addEventListener("click", () => askForEmail());
email.addEventListener("input", () => setFieldError(email, ""));
code.addEventListener("input", () => setFieldError(code, ""));
emailForm.dataset.ready = "true"; // tests and tools: the script, not the browser, submits now
