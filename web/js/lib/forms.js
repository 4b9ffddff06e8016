// Form behaviour shared by every form: errors next to their field, a form-level
// error, and a busy state while the request runs.

import { ApiError, rateLimitMessage } from "./problem.js";
import { SessionEndedError, SessionUnavailableError } from "./session.js";

// The gateway's answers while nothing healthy is behind it yet (the stack is starting).
const GATEWAY_STATUSES = new Set([502, 503, 504]);

/** Whether `error` is the gateway's "nothing behind me yet", not an answer of the app. */
export function isGatewayStarting(error) {
  const status = error instanceof ApiError ? error.problem.status : error?.status;
  const fromApp = error instanceof ApiError ? Boolean(error.problem.code) : error?.fromApp;
  return GATEWAY_STATUSES.has(status) && !fromApp;
}

function errorSlot(input) {
  return input.form?.querySelector(`#${CSS.escape(input.id)}-error`) ?? null;
}

export function setFieldError(input, message) {
  const slot = errorSlot(input);
  if (slot) slot.textContent = message;
  if (message) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

export function setFormError(form, message) {
  const slot = form.querySelector(".form-error");
  if (!slot) return;
  slot.textContent = message;
  slot.hidden = !message;
}

export function clearErrors(form) {
  for (const input of form.querySelectorAll("input, textarea")) setFieldError(input, "");
  setFormError(form, "");
}

/** Marks the form busy: its submit button is disabled and shows a spinner. */
export function setBusy(form, busy) {
  form.setAttribute("aria-busy", String(busy));
  for (const button of form.querySelectorAll("button[type=submit]")) {
    button.disabled = busy;
    button.classList.toggle("is-busy", busy);
  }
}

/** The first input with an error gets the focus, so keyboard users land on it. */
export function focusFirstInvalid(form) {
  const invalid = form.querySelector("[aria-invalid=true]");
  if (invalid) invalid.focus();
  else form.querySelector(".form-error:not([hidden])")?.focus();
}

/**
 * Shows an error from a failed call: field errors beside their inputs
 * (by name), the rest at the top of the form. A 429 says how long to wait, whatever
 * `messages` says.
 */
export function showError(form, error, { fieldForCode = {}, messages = {} } = {}) {
  if (error instanceof SessionEndedError) return; // already on the way to the login page
  if (isGatewayStarting(error)) {
    setFormError(form, "Gatehouse is starting or busy right now. Try again in a moment.");
  } else if (error instanceof ApiError) {
    const { problem } = error;
    let placed = false;
    for (const [field, message] of Object.entries(problem.fieldErrors)) {
      const input = form.elements.namedItem(field);
      if (input instanceof HTMLElement && "value" in input) {
        setFieldError(input, message);
        placed = true;
      }
    }
    const message =
      rateLimitMessage(error) ||
      messages[problem.code] ||
      messages[problem.status] ||
      problem.detail ||
      problem.title;
    const codeField = form.elements.namedItem(fieldForCode[problem.code] ?? fieldForCode[problem.status] ?? "");
    if (codeField instanceof HTMLElement && "value" in codeField) {
      setFieldError(codeField, message);
    } else if (!placed) {
      setFormError(form, message || `Something went wrong (${problem.status}). Please try again.`);
    }
  } else if (error instanceof SessionUnavailableError || error instanceof TypeError) {
    setFormError(form, "We can't reach Gatehouse right now. Check your connection and try again.");
  } else {
    setFormError(form, "Something went wrong. Please try again.");
  }
  focusFirstInvalid(form);
}

/** The "Show"/"Hide" buttons of password fields (`data-reveal`, `aria-controls`). */
export function mountRevealToggles(root = document) {
  for (const toggle of root.querySelectorAll("button[data-reveal]")) {
    toggle.addEventListener("click", () => {
      const input = document.getElementById(toggle.getAttribute("aria-controls"));
      const show = input.type === "password";
      input.type = show ? "text" : "password";
      toggle.setAttribute("aria-pressed", String(show));
      toggle.textContent = show ? "Hide" : "Show";
    });
  }
}
