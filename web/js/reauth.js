// Recent log-in (step-up, RFC 9470): some actions need the person to have proved who they
// are a short while ago. The API then answers 401 with
// `WWW-Authenticate: Bearer error="insufficient_user_authentication"`; this module asks
// for the password in the page's #reauth-dialog, calls POST /api/auth/reauth (a fresh
// token in the same session) and runs the action once more.

import { byId } from "./dom.js";
import { clearErrors, focusFirstInvalid, setBusy, setFieldError, setFormError, showError } from "./forms.js";
import { jsonOrThrow } from "./problem.js";
import { adoptToken, apiFetch, needsRecentLogin, onlyExpiredTokens } from "./session.js";
import { ceremonyMessage, passkeysSupported, reauthenticateWithPasskey } from "./webauthn.js";

const REAUTH_URL = "/api/auth/reauth";

/** The person closed the password prompt: the action did not happen. */
export class ReauthCancelledError extends Error {
  constructor() {
    super("Cancelled: the action needs your password.");
    this.name = "ReauthCancelledError";
  }
}

/** Shows the password prompt; resolves true once the person is re-authenticated. */
function askForPassword() {
  const dialog = byId("reauth-dialog");
  const form = byId("reauth-form");
  const password = form.elements.namedItem("password");
  clearErrors(form);
  form.reset();
  return new Promise((resolve) => {
    const finish = (proved) => {
      form.removeEventListener("submit", submit);
      passkey?.remove();
      dialog.removeEventListener("close", closed);
      if (dialog.open) dialog.close();
      resolve(proved);
    };
    const closed = () => finish(false);
    const passkey = usePasskeyButton(form, () => finish(true));
    async function submit(event) {
      event.preventDefault();
      clearErrors(form);
      if (!password.value) {
        setFieldError(password, "Enter your password.");
        focusFirstInvalid(form);
        return;
      }
      setBusy(form, true);
      try {
        const response = await apiFetch(REAUTH_URL, {
          method: "POST",
          json: { password: password.value },
          refreshOn401: onlyExpiredTokens,
        });
        adoptToken(await jsonOrThrow(response));
        setBusy(form, false);
        finish(true);
      } catch (error) {
        setBusy(form, false);
        const wrong = "That password isn't right. Try again.";
        showError(form, error, {
          fieldForCode: { 401: "password", 403: "password", invalid_credentials: "password" },
          messages: { 401: wrong, 403: wrong, invalid_credentials: wrong },
        });
      }
    }
    form.addEventListener("submit", submit);
    dialog.addEventListener("close", closed); // Escape or "Cancel"
    dialog.showModal();
    password.focus();
  });
}

/**
 * The dialog's "Use a passkey" (where the browser has passkeys): proves the person with
 * one of their passkeys instead of the password. Returns {remove} to unwire it.
 */
function usePasskeyButton(form, proved) {
  if (!passkeysSupported()) return null;
  const button = byId("reauth-passkey-button");
  byId("reauth-passkey").hidden = false;
  async function click() {
    clearErrors(form);
    button.disabled = true;
    button.classList.add("is-busy");
    try {
      await reauthenticateWithPasskey();
      proved();
    } catch (error) {
      const message = ceremonyMessage(error);
      const refused = "That passkey couldn't confirm it's you. Try again, or enter your password.";
      if (message) {
        setFormError(form, message);
        focusFirstInvalid(form);
      } else {
        showError(form, error, { messages: { 401: refused, 403: refused } });
      }
    } finally {
      button.disabled = false;
      button.classList.remove("is-busy");
    }
  }
  button.addEventListener("click", click);
  return { remove: () => button.removeEventListener("click", click) };
}

/**
 * Runs `call()` (returns a fetch Response). When the API wants a recent log-in, asks for
 * the password, re-authenticates and runs `call()` once more; throws
 * ReauthCancelledError if the person cancels.
 */
export async function withRecentLogin(call) {
  const response = await call();
  if (!needsRecentLogin(response)) return response;
  if (!(await askForPassword())) throw new ReauthCancelledError();
  return call();
}

/** Wires the prompt's Cancel button; call once on a page that has #reauth-dialog. */
export function mountReauthDialog() {
  byId("reauth-cancel").addEventListener("click", () => byId("reauth-dialog").close());
}
