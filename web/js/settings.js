// /settings: change the password, change the email, the authenticator app (mfa-settings.js),
// passkeys (passkeys.js) and the connected apps (connected-apps.js).
// The first four need a recent log-in: when the API asks for one, reauth.js prompts for the password
// (or an authentication code) and the action runs once more.

import { announce, byId } from "./lib/dom.js";
import {
  clearErrors,
  focusFirstInvalid,
  mountRevealToggles,
  setBusy,
  setFieldError,
  setFormError,
  showError,
} from "./lib/forms.js";
import { mountConnectedApps } from "./lib/connected-apps.js";
import { mountAuthenticatorApp } from "./lib/mfa-settings.js";
import { followSession, restoreSessionOrLeave, showPageError } from "./lib/page.js";
import { mountPasskeys } from "./lib/passkeys.js";
import { ApiError, jsonOrThrow, readProblem } from "./lib/problem.js";
import { ReauthCancelledError, mountReauthDialog, withRecentLogin } from "./lib/reauth.js";
import {
  SessionEndedError,
  apiFetch,
  needsRecentLogin,
  onlyExpiredTokens,
} from "./lib/session.js";

const EMAIL = /^[^\s@]+@[^\s@]+$/;
const WRONG_PASSWORD = "That password isn't right.";


/**
 * Runs a step-up action for `form` (`call` returns a Response): busy meanwhile, errors
 * shown on the form; the Response when it succeeded, else null.
 */
async function act(form, call, options) {
  setBusy(form, true);
  try {
    const response = await withRecentLogin(call);
    if (needsRecentLogin(response)) {
      setFormError(form, "We couldn't confirm it's you. Please try again.");
    } else if (!response.ok) {
      throw new ApiError(await readProblem(response));
    } else {
      return response;
    }
  } catch (error) {
    if (error instanceof ReauthCancelledError) {
      setFormError(form, "Nothing changed: this needs your password.");
    } else {
      showError(form, error, options);
    }
  } finally {
    setBusy(form, false);
  }
  focusFirstInvalid(form);
  return null;
}

// A wrong password is the call's own 401: only an expired token is worth a refresh.
const post = (path, json) => () =>
  apiFetch(path, { method: "POST", json, refreshOn401: onlyExpiredTokens });

function done(id, message) {
  const slot = byId(id);
  slot.textContent = message;
  slot.hidden = false;
  announce(message);
}

function mountPasswordForm() {
  const form = byId("password-form");
  const current = form.elements.namedItem("current_password");
  const next = form.elements.namedItem("new_password");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    byId("password-done").hidden = true;
    if (!current.value) setFieldError(current, "Enter your current password.");
    if (next.value.length < 8) setFieldError(next, next.value ? "Use at least 8 characters." : "Enter a new password.");
    if (form.querySelector("[aria-invalid=true]")) {
      focusFirstInvalid(form);
      return;
    }
    const body = { current_password: current.value, new_password: next.value };
    const response = await act(form, post("/api/auth/password", body), {
      fieldForCode: { 401: "current_password", 403: "current_password", invalid_credentials: "current_password" },
      messages: { 401: WRONG_PASSWORD, 403: WRONG_PASSWORD, invalid_credentials: WRONG_PASSWORD },
    });
    if (!response) return;
    form.reset();
    done("password-done", "Your password is changed. Every other device has been logged out.");
  });
  for (const input of [current, next]) input.addEventListener("input", () => setFieldError(input, ""));
}

function mountEmailForm() {
  const form = byId("email-form");
  const email = form.elements.namedItem("new_email");
  const password = form.elements.namedItem("password");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    byId("email-done").hidden = true;
    const address = email.value.trim();
    if (!EMAIL.test(address)) {
      setFieldError(email, address ? "Enter an email address like name@example.com." : "Enter the new email address.");
    }
    if (!password.value) setFieldError(password, "Enter your password.");
    if (form.querySelector("[aria-invalid=true]")) {
      focusFirstInvalid(form);
      return;
    }
    const body = { new_email: address, password: password.value };
    const taken = "This email belongs to another account.";
    const response = await act(form, post("/api/auth/email/change", body), {
      fieldForCode: { 401: "password", 403: "password", invalid_credentials: "password", 409: "new_email", email_taken: "new_email" },
      messages: { 401: WRONG_PASSWORD, 403: WRONG_PASSWORD, invalid_credentials: WRONG_PASSWORD, 409: taken, email_taken: taken },
    });
    if (!response) return;
    form.reset();
    done("email-done", `Check your new inbox: we've sent a link to ${address}. Your email changes when you open it.`);
  });
  for (const input of [email, password]) input.addEventListener("input", () => setFieldError(input, ""));
}

async function boot() {
  if (!(await restoreSessionOrLeave())) return;
  let me;
  try {
    me = await apiFetch("/api/auth/me").then(jsonOrThrow);
  } catch (error) {
    if (!(error instanceof SessionEndedError)) showPageError(`Couldn't load your account: ${error.message}`);
    return;
  }
  byId("current-email").textContent = me.email;
  byId("topbar-email").textContent = me.email;
  mountPasswordForm();
  mountEmailForm();
  mountAuthenticatorApp(me, act);
  mountReauthDialog();
  mountRevealToggles();
  await Promise.all([mountPasskeys(), mountConnectedApps()]);
  byId("page-status").hidden = true;
  byId("settings").hidden = false;
  document.body.dataset.ready = "true";
}

followSession();
boot();
