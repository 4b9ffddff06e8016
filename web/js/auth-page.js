// The log-in and sign-up pages: one form, told apart by its data-mode.

import { byId } from "./dom.js";
import { clearErrors, focusFirstInvalid, setBusy, setFieldError, showError } from "./forms.js";
import { nextFromLocation } from "./next.js";
import { ApiError, jsonOrThrow } from "./problem.js";
import { onOtherTabSessionChange, refreshSession, startSession } from "./session.js";

const MODES = {
  login: {
    url: "/api/auth/login",
    fieldForCode: {},
    messages: {
      401: "That email and password don't match an account. Check them and try again.",
      invalid_credentials:
        "That email and password don't match an account. Check them and try again.",
    },
  },
  signup: {
    url: "/api/auth/signup",
    fieldForCode: { 409: "email", email_taken: "email" },
    messages: {
      409: "An account with this email already exists. Log in instead?",
      email_taken: "An account with this email already exists. Log in instead?",
    },
  },
};

const form = byId("auth-form");
const mode = MODES[form.dataset.mode];
const next = nextFromLocation();
const email = form.elements.namedItem("email");
const password = form.elements.namedItem("password");

function goNext() {
  window.location.replace(next);
}

// The other page keeps `next`, so switching between log-in and sign-up loses nothing.
for (const link of document.querySelectorAll("a[data-keep-next]")) {
  if (next !== "/") link.search = `?next=${encodeURIComponent(next)}`;
}

function validate() {
  let ok = true;
  const address = email.value.trim();
  if (!address) {
    setFieldError(email, "Enter your email address.");
    ok = false;
  } else if (!/^[^\s@]+@[^\s@]+$/.test(address)) {
    setFieldError(email, "Enter an email address like name@example.com.");
    ok = false;
  }
  if (!password.value) {
    setFieldError(password, "Enter your password.");
    ok = false;
  } else if (form.dataset.mode === "signup" && password.value.length < 8) {
    setFieldError(password, "Use at least 8 characters.");
    ok = false;
  }
  return ok;
}

function plural(count, unit) {
  return `${count} ${unit}${count === 1 ? "" : "s"}`;
}

function rateLimitMessage(error) {
  const seconds = error.problem.retryAfter;
  if (!seconds) return "Too many attempts. Please wait a moment and try again.";
  const wait = seconds < 90 ? plural(seconds, "second") : plural(Math.ceil(seconds / 60), "minute");
  return `Too many attempts. Try again in ${wait}.`;
}

async function submit(event) {
  event.preventDefault();
  clearErrors(form);
  if (!validate()) {
    focusFirstInvalid(form);
    return;
  }
  setBusy(form, true);
  try {
    const response = await fetch(mode.url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({ email: email.value.trim(), password: password.value }),
    });
    startSession(await jsonOrThrow(response));
    goNext();
  } catch (error) {
    setBusy(form, false);
    const limited = error instanceof ApiError && error.problem.status === 429;
    const messages = limited ? { 429: rateLimitMessage(error) } : mode.messages;
    showError(form, error, { fieldForCode: mode.fieldForCode, messages });
  }
}

form.addEventListener("submit", submit);

// Clear a field's error as soon as the user starts fixing it.
for (const input of [email, password]) {
  input.addEventListener("input", () => setFieldError(input, ""));
}

for (const toggle of document.querySelectorAll("button[data-reveal]")) {
  toggle.addEventListener("click", () => {
    const input = byId(toggle.getAttribute("aria-controls"));
    const show = input.type === "password";
    input.type = show ? "text" : "password";
    toggle.setAttribute("aria-pressed", String(show));
    toggle.textContent = show ? "Hide" : "Show";
  });
}

// Logged in in another tab: carry on from here too.
onOtherTabSessionChange((change) => {
  if (change === "login") goNext();
});

// Already logged in (a session cookie that still works): skip the form.
refreshSession().then(
  (token) => {
    if (token) goNext();
  },
  () => {
    // The auth service is unreachable: the form will say so if the user tries.
  },
);
