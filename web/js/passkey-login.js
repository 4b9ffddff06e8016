// The log-in page's "Sign in with a passkey": a discoverable passkey alone opens the
// session (the browser asks for the device's screen lock), then on to `next` as a
// password log-in does.

import { byId } from "./dom.js";
import { rateLimitMessage } from "./forms.js";
import { nextFromLocation } from "./next.js";
import { ApiError, jsonOrThrow } from "./problem.js";
import { startSession } from "./session.js";
import { assertPasskey, ceremonyMessage, passkeysSupported } from "./webauthn.js";

const MESSAGES = {
  passkey_unknown: "That passkey isn't registered with Gatehouse. Log in with your password, then add it in Settings.",
  passkey_rejected: "That passkey couldn't be used. Try again, or log in with your password.",
  email_not_verified: "Verify your email address first: open the link we mailed to you, then log in.",
};

function problemMessage(error) {
  if (!(error instanceof ApiError)) return null;
  if (error.problem.status === 429) return rateLimitMessage(error);
  return MESSAGES[error.problem.code] ?? error.problem.detail ?? null;
}

function mountPasskeyLogin() {
  const section = byId("passkey-login");
  const button = byId("passkey-login-button");
  const errorBox = byId("passkey-login-error");
  if (!passkeysSupported()) return; // the section stays hidden
  section.hidden = false;

  const showError = (message) => {
    errorBox.textContent = message;
    errorBox.hidden = !message;
  };

  button.addEventListener("click", async () => {
    showError("");
    button.disabled = true;
    button.classList.add("is-busy");
    try {
      const credential = await assertPasskey();
      const response = await fetch("/api/auth/webauthn/login", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        credentials: "same-origin",
        body: JSON.stringify({ credential }),
      });
      startSession(await jsonOrThrow(response));
      window.location.replace(nextFromLocation());
      return;
    } catch (error) {
      showError(
        ceremonyMessage(error) ?? problemMessage(error) ?? "We couldn't sign you in with a passkey. Please try again.",
      );
    }
    button.disabled = false;
    button.classList.remove("is-busy");
    button.focus();
  });
}

mountPasskeyLogin();
