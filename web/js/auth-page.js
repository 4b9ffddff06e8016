// The log-in and sign-up pages: one form, told apart by its data-mode.

import { byId } from "./lib/dom.js";
import {
  clearErrors,
  focusFirstInvalid,
  mountRevealToggles,
  setBusy,
  setFieldError,
  setFormError,
  showError,
} from "./lib/forms.js";
import { askSecondFactor } from "./lib/mfa-login.js";
import { nextFromLocation } from "./lib/next.js";
import { postJson } from "./lib/post.js";
import { onOtherTabSessionChange, refreshSession, startSession } from "./lib/session.js";

const MODES = {
  login: {
    url: "/api/auth/login",
    fieldForCode: {},
    messages: {
      401: "That email and password don't match an account. Check them and try again.",
      invalid_credentials:
        "That email and password don't match an account. Check them and try again.",
      email_not_verified:
        "Verify your email address first: open the link we mailed to you, then log in.",
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
const query = new URLSearchParams(window.location.search);
// An application's sign-in may demand a new log-in even with a session (`prompt=login`,
// `max_age`): the form shows, the session does not skip it.
const fresh = form.dataset.mode === "login" && query.get("fresh") === "1";
const email = form.elements.namedItem("email");
const password = form.elements.namedItem("password");

function goNext() {
  window.location.replace(next);
}

// The other page keeps `next`, so switching between log-in and sign-up loses nothing.
for (const link of document.querySelectorAll("a[data-keep-next]")) {
  if (next !== "/") link.search = `?next=${encodeURIComponent(next)}`;
}

// A page that sent the person here may leave a word for them (fixed texts, never the URL's).
const NOTICES = {
  "password-reset": "Your new password is set. Log in with it.",
  "email-changed": "Your email address is changed. Log in with the new one.",
  "logged-out": "You are logged out.",
  "logged-out-everywhere": "You are logged out on every device.",
  "session-ended": "Your session ended: it was logged out elsewhere or has expired. Log in again to go on.",
};
function showNotice(text) {
  const notice = document.getElementById("auth-notice");
  if (!notice) return;
  notice.textContent = text;
  notice.hidden = false;
}
const noticeText = NOTICES[query.get("notice")];
if (noticeText) showNotice(noticeText);
else if (fresh) showNotice("The application asks you to log in again.");

// An application's `login_hint`: the address it expects, filled in (the person may change it).
const hint = (query.get("login_hint") ?? "").trim();
if (form.dataset.mode === "login" && hint.length <= 320 && /^[^\s@]+@[^\s@]+$/.test(hint)) {
  email.value = hint;
  password.focus();
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

async function submit(event) {
  event.preventDefault();
  clearErrors(form);
  if (!validate()) {
    focusFirstInvalid(form);
    return;
  }
  setBusy(form, true);
  try {
    const body = await postJson(mode.url, { email: email.value.trim(), password: password.value });
    if (body?.verification_required) {
      // Sign-up that needs a verified email first: no session yet, a link in the mail.
      setBusy(form, false);
      showNotice(`Check your inbox: we've sent a link to ${email.value.trim()}. Open it, then log in.`);
      form.reset();
      return;
    }
    if (body?.mfa_required) {
      secondStep(body);
      return;
    }
    startSession(body);
    goNext();
  } catch (error) {
    setBusy(form, false);
    showError(form, error, { fieldForCode: mode.fieldForCode, messages: mode.messages });
  }
}

// The account has a second factor: its step replaces the password form until it is done.
function secondStep(challenge) {
  setBusy(form, false);
  byId("auth-notice").hidden = true; // a word about the last visit, not about this step
  askSecondFactor(challenge, form, {
    onSession(tokens) {
      startSession(tokens);
      goNext();
    },
    onRestart(message) {
      password.value = "";
      setFormError(form, message);
      password.focus();
    },
  });
}

form.addEventListener("submit", submit);
form.dataset.ready = "true"; // tests and tools: the script, not the browser, submits now

// Clear a field's error as soon as the user starts fixing it.
for (const input of [email, password]) {
  input.addEventListener("input", () => setFieldError(input, ""));
}

mountRevealToggles();

// Logged in in another tab: carry on from here too.
onOtherTabSessionChange((change) => {
  if (change === "login") goNext();
});

// Already logged in (a session cookie that still works): skip the form, unless it must show.
if (!fresh) {
  refreshSession().then(
    (token) => {
      if (token) goNext();
    },
    () => {
      // The auth service is unreachable: the form will say so if the user tries.
    },
  );
}
