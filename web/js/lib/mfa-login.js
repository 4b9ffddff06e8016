// The log-in's second step: after the password, an account with an authenticator app
// answers `mfa_required` and an `mfa_token`; this form sends it with a code from the app
// (or a recovery code) to POST /api/auth/login/mfa, which starts the session. When the
// answer's `methods` include "webauthn", "Use a passkey" sends a passkey's assertion
// there instead.

import { byId } from "./dom.js";
import { clearErrors, focusFirstInvalid, setBusy, setFieldError, setFormError, showError } from "./forms.js";
import { postJson } from "./post.js";
import { ApiError, rateLimitMessage } from "./problem.js";
import { assertPasskey, ceremonyMessage, passkeysSupported } from "./webauthn.js";

const SECOND_STEP_URL = "/api/auth/login/mfa";
const EXPIRED = "This log-in has expired or had too many wrong codes. Log in again.";
const PASSKEY_REFUSED = "That passkey couldn't be used for this account. Try another passkey, or enter a code.";

function sendProof(challenge, proof) {
  return postJson(SECOND_STEP_URL, { mfa_token: challenge.mfa_token, ...proof });
}

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
  const passkeyLogIn = document.getElementById("passkey-login"); // the page's passkey-alone log-in (if any): not now
  const passkeyLogInWasHidden = passkeyLogIn?.hidden ?? true;
  const restart = (message) => {
    form.hidden = true;
    passwordForm.hidden = false;
    if (passkeyLogIn) passkeyLogIn.hidden = passkeyLogInWasHidden;
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
      onSession(await sendProof(challenge, { [proof]: value }));
    } catch (error) {
      setBusy(form, false);
      const problem = error instanceof ApiError ? error.problem : null;
      if (problem?.code === "invalid_mfa_token") {
        restart(EXPIRED);
        return;
      }
      const wrong = PROOFS[proof].wrong;
      const messages = { invalid_mfa_code: wrong, 401: wrong };
      showError(form, error, { fieldForCode: { invalid_mfa_code: "code", 401: "code" }, messages });
    }
  }

  const passkeyButton = byId("mfa-passkey-button");
  async function usePasskey() {
    clearErrors(form);
    passkeyButton.disabled = true;
    passkeyButton.classList.add("is-busy");
    try {
      const webauthn = await assertPasskey();
      onSession(await sendProof(challenge, { webauthn }));
      return;
    } catch (error) {
      const problem = error instanceof ApiError ? error.problem : null;
      if (problem?.code === "invalid_mfa_token") {
        restart(EXPIRED);
        return;
      }
      let message = ceremonyMessage(error) ?? rateLimitMessage(error);
      if (!message && problem?.status === 401) message = PASSKEY_REFUSED;
      if (message) setFormError(form, message);
      else showError(form, error);
      form.querySelector(".form-error:not([hidden])")?.focus();
    }
    passkeyButton.disabled = false;
    passkeyButton.classList.remove("is-busy");
  }

  form.addEventListener("submit", submit);
  passkeyButton.addEventListener("click", usePasskey);
  byId("mfa-passkey").hidden = !(challenge.methods ?? []).includes("webauthn") || !passkeysSupported();
  if (passkeyLogIn) passkeyLogIn.hidden = true;
  byId("mfa-switch").addEventListener("click", () => show(proof === "code" ? "recovery_code" : "code"));
  byId("mfa-restart").addEventListener("click", () => restart(""));
  input.addEventListener("input", () => setFieldError(input, ""));
  setFormError(form, "");
  passwordForm.hidden = true;
  form.hidden = false;
  show("code");
}
