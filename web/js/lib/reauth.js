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

// --- An authenticator app's code instead of the password --------------------------------

let codeOffered = false; // the account has an authenticator app
let useCode = false; // the prompt asks for its code now

/** The prompt offers "Use an authentication code instead" while `enabled`. */
export function offerAuthenticationCode(enabled) {
  codeOffered = Boolean(enabled);
  const row = document.getElementById("reauth-switch-row");
  if (row) row.hidden = !codeOffered;
}

// Set while the API has refused the password alone: a change of second factor wants a
// proof of a factor (the authenticator app's code, or a passkey).
let factorNeeded = false;

function showProof(code) {
  useCode = code && codeOffered;
  byId("reauth-password-field").hidden = useCode;
  byId("reauth-code-field").hidden = !useCode;
  byId("reauth-switch").textContent = useCode
    ? "Use your password instead"
    : "Use an authentication code instead";
  byId("reauth-text").textContent = factorNeeded
    ? codeOffered
      ? "Your password isn't enough for this change. Enter the code from your authenticator app, or use a passkey."
      : "Your password isn't enough for this change. Use a passkey to go on."
    : useCode
      ? "This needs a recent log-in. Enter the code from your authenticator app to go on."
      : "This needs a recent log-in. Enter your password to go on.";
  (useCode ? byId("reauth-code") : byId("reauth-password")).focus();
}

/** The proof the prompt holds: the body of POST /reauth, or null after showing what's missing. */
function proofOf(form) {
  if (useCode) {
    const code = form.elements.namedItem("code");
    if (code.value.trim()) return { code: code.value.trim() };
    setFieldError(code, "Enter the code from your authenticator app.");
    return null;
  }
  const password = form.elements.namedItem("password");
  if (password.value) return { password: password.value };
  setFieldError(password, "Enter your password.");
  return null;
}

function showWrongProof(form, error) {
  const field = useCode ? "code" : "password";
  const wrong = useCode
    ? "That code isn't right. Enter the code your app shows now."
    : "That password isn't right. Try again.";
  showError(form, error, {
    fieldForCode: { 401: field, 403: field, invalid_credentials: field, wrong_code: field },
    messages: { 401: wrong, 403: wrong, invalid_credentials: wrong, wrong_code: wrong },
  });
}

// --- The prompt ---------------------------------------------------------------------------

/** Shows the password prompt; resolves true once the person is re-authenticated. */
function askForPassword() {
  const dialog = byId("reauth-dialog");
  const form = byId("reauth-form");
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
    // A close event is queued, not dispatched at once: one left over from the previous
    // prompt may arrive after this one opened, and must not cancel it.
    const closed = () => {
      if (!dialog.open) finish(false);
    };
    const passkey = usePasskeyButton(form, () => finish(true));
    async function submit(event) {
      event.preventDefault();
      clearErrors(form);
      const proof = proofOf(form);
      if (!proof) {
        focusFirstInvalid(form);
        return;
      }
      setBusy(form, true);
      try {
        const response = await apiFetch(REAUTH_URL, {
          method: "POST",
          json: proof,
          refreshOn401: onlyExpiredTokens,
        });
        adoptToken(await jsonOrThrow(response));
        setBusy(form, false);
        finish(true);
      } catch (error) {
        setBusy(form, false);
        showWrongProof(form, error);
      }
    }
    form.addEventListener("submit", submit);
    dialog.addEventListener("close", closed); // Escape or "Cancel"
    dialog.showModal();
    showProof(factorNeeded);
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
 * the password, re-authenticates and runs `call()` once more; when the API still wants one
 * (the password alone does not do for a change of second factor), asks once more, for the
 * factor this time. Throws ReauthCancelledError if the person cancels.
 */
export async function withRecentLogin(call) {
  let response = await call();
  factorNeeded = false;
  for (let round = 0; round < 2 && needsRecentLogin(response); round += 1) {
    factorNeeded = round > 0;
    if (!(await askForPassword())) throw new ReauthCancelledError();
    response = await call();
  }
  factorNeeded = false;
  return response;
}

/** Wires the prompt's Cancel button; call once on a page that has #reauth-dialog. */
export function mountReauthDialog() {
  byId("reauth-cancel").addEventListener("click", () => byId("reauth-dialog").close());
  document.getElementById("reauth-switch")?.addEventListener("click", () => {
    clearErrors(byId("reauth-form"));
    showProof(!useCode);
  });
}
