// The log-in page's "Sign in with a passkey": a discoverable passkey alone opens the
// session (the browser asks for the device's screen lock), then on to `next` as a
// password log-in does.

import { byId } from "./lib/dom.js";
import { nextFromLocation } from "./lib/next.js";
import { postJson } from "./lib/post.js";
import { ApiError, rateLimitMessage } from "./lib/problem.js";
import { startSession } from "./lib/session.js";
import { assertPasskey, ceremonyMessage, passkeysSupported } from "./lib/webauthn.js";

const MESSAGES = {
  passkey_unknown: "That passkey isn't registered with Gatehouse. Log in with your password, then add it in Settings.",
  passkey_rejected: "That passkey couldn't be used. Try again, or log in with your password.",
  email_not_verified: "Verify your email address first: open the link we mailed to you, then log in.",
};

function problemMessage(error) {
  if (!(error instanceof ApiError)) return null;
  return rateLimitMessage(error) ?? MESSAGES[error.problem.code] ?? error.problem.detail ?? null;
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
      startSession(await postJson("/api/auth/webauthn/login", { credential }));
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
