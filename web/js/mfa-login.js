// The log-in's second step: after the password, an account with an authenticator app
// answers `mfa_required` and an `mfa_token`; this form sends it with a code from the app
// (or a recovery code) to POST /api/auth/login/mfa, which starts the session.

import { byId } from "./dom.js";
import {
  clearErrors,
  focusFirstInvalid,
  rateLimitMessage,
  setBusy,
  setFieldError,
  setFormError,
  showError,
} from "./forms.js";
import { ApiError, jsonOrThrow } from "./problem.js";

const SECOND_STEP_URL = "/api/auth/login/mfa";

// The field asks for one proof at a time; the link under it switches between the two.
const PROOFS = {
  code: {
    label: "Authentication code",
    help: "Enter the code that your authenticator app shows.",
    switchTo: "Use a recovery code instead",
    inputmode: "numeric",
    autocomplete: "one-time-code",
    missing: "Enter the code from your authenticator app.",
    wrong: "That code isn't right. Enter the code your app shows now.",
  },
  recovery_code: {
    label: "Recovery code",
    help: "Enter one of the recovery codes you saved when you set up the app.",
    switchTo: "Use an authentication code instead",
    inputmode: "text",
    autocomplete: "off",
    missing: "Enter one of your recovery codes.",
    wrong: "That recovery code isn't right, or it was used already.",
  },
};

/**
 * Shows the second step in place of `passwordForm`. `onSession(tokenResponse)` runs once
 * the log-in is complete; `onRestart(message)` when it must start over (the log-in
 * expired, or the person wants another account).
 */
export function askSecondFactor(challenge, passwordForm, { onSession, onRestart }) {
  const form = byId("mfa-form");
  const input = byId("mfa-code");
  let proof = "code";

  const show = (kind) => {
    proof = kind;
    const text = PROOFS[kind];
    byId("mfa-code-label").textContent = text.label;
    byId("mfa-help").textContent = text.help;
    byId("mfa-switch").textContent = text.switchTo;
    input.setAttribute("inputmode", text.inputmode);
    input.setAttribute("autocomplete", text.autocomplete);
    input.value = "";
    clearErrors(form);
    input.focus();
  };
  const restart = (message) => {
    form.hidden = true;
    passwordForm.hidden = false;
    form.replaceWith(form.cloneNode(true)); // drops this log-in's listeners
    onRestart(message);
  };

  async function submit(event) {
    event.preventDefault();
    clearErrors(form);
    const value = input.value.trim();
    if (!value) {
      setFieldError(input, PROOFS[proof].missing);
      focusFirstInvalid(form);
      return;
    }
    setBusy(form, true);
    try {
      const response = await fetch(SECOND_STEP_URL, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        credentials: "same-origin",
        body: JSON.stringify({ mfa_token: challenge.mfa_token, [proof]: value }),
      });
      onSession(await jsonOrThrow(response));
    } catch (error) {
      setBusy(form, false);
      const problem = error instanceof ApiError ? error.problem : null;
      if (problem?.code === "invalid_mfa_token") {
        restart("This log-in has expired or had too many wrong codes. Log in again.");
        return;
      }
      const wrong = PROOFS[proof].wrong;
      const messages = problem?.status === 429 ? { 429: rateLimitMessage(error) } : { invalid_mfa_code: wrong, 401: wrong };
      showError(form, error, { fieldForCode: { invalid_mfa_code: "code", 401: "code" }, messages });
    }
  }

  form.addEventListener("submit", submit);
  byId("mfa-switch").addEventListener("click", () => show(proof === "code" ? "recovery_code" : "code"));
  byId("mfa-restart").addEventListener("click", () => restart(""));
  input.addEventListener("input", () => setFieldError(input, ""));
  setFormError(form, "");
  passwordForm.hidden = true;
  form.hidden = false;
  show("code");
}
