// The settings page's passkeys: the list (rename, remove) and "Add a passkey". Adding and
// removing need a recent log-in (reauth.js asks for it, with the password or a passkey).

import { confirmAction } from "./confirm.js";
import { announce, byId, h } from "./dom.js";
import { formatDateTime, timeElement } from "./format.js";
import { clearErrors, focusFirstInvalid, setBusy, setFieldError, setFormError, showError } from "./forms.js";
import { ApiError, jsonOrThrow, rateLimitMessage } from "./problem.js";
import { ReauthCancelledError, withRecentLogin } from "./reauth.js";
import { apiFetch, needsRecentLogin, onlyExpiredTokens } from "./session.js";
import { ceremonyMessage, createPasskey, passkeysSupported } from "./webauthn.js";

const BASE = "/api/auth/webauthn";
const MESSAGES = {
  passkey_exists: "This passkey is already registered to an account.",
  passkey_registration_rejected: "That passkey couldn't be registered. Please try again.",
  not_found: "That passkey no longer exists.",
};

let passkeys = [];

const call = (path, init = {}) => () => apiFetch(path, { refreshOn401: onlyExpiredTokens, ...init });

/** Runs `request` (a Response-returning call) with a recent log-in; its JSON or throws. */
async function stepUp(request) {
  const response = await withRecentLogin(request);
  if (needsRecentLogin(response)) throw new ReauthCancelledError();
  return jsonOrThrow(response);
}

function messageOf(error) {
  if (error instanceof ReauthCancelledError) return "Nothing changed: this needs you to confirm it's you.";
  if (error instanceof ApiError) return rateLimitMessage(error) ?? MESSAGES[error.problem.code] ?? error.problem.detail ?? error.message;
  return ceremonyMessage(error);
}

function listError(message) {
  const box = byId("passkeys-error");
  box.textContent = message;
  box.hidden = !message;
  if (message) box.focus();
}

function item(passkey) {
  const used = passkey.last_used_at ? ["Last used ", timeElement(passkey.last_used_at)] : ["Not used yet"];
  return h(
    "li",
    { class: "session passkey", dataset: { passkeyId: passkey.id } },
    h(
      "div",
      { class: "session-main" },
      h("p", { class: "session-device passkey-name" }, passkey.name),
      h("p", { class: "session-meta" }, "Added ", formatDateTime(passkey.created_at), " · ", ...used),
    ),
    h(
      "div",
      { class: "note-actions" },
      h("button", { type: "button", class: "btn btn-secondary btn-small", "aria-label": `Rename ${passkey.name}`, onclick: () => startRename(passkey) }, "Rename"),
      h("button", { type: "button", class: "btn btn-danger-quiet btn-small", "aria-label": `Remove ${passkey.name}`, onclick: (e) => remove(passkey, e.currentTarget) }, "Remove"),
    ),
  );
}

function renameForm(passkey) {
  const inputId = `rename-${passkey.id}`;
  const input = h("input", { id: inputId, name: "name", type: "text", maxlength: "64", required: true, value: passkey.name, "aria-describedby": `${inputId}-error` });
  const form = h(
    "form",
    { class: "passkey-rename", novalidate: true, "aria-label": `Rename ${passkey.name}` },
    h("div", { class: "field" }, h("label", { for: inputId }, "New name"), input, h("p", { class: "field-error", id: `${inputId}-error`, "aria-live": "polite" })),
    h(
      "div",
      { class: "form-actions" },
      h("button", { type: "button", class: "btn btn-secondary btn-small", onclick: () => render(passkey.id, "Rename") }, "Cancel"),
      h("button", { type: "submit", class: "btn btn-primary btn-small" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Save name"),
    ),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const name = input.value.trim();
    if (!name) {
      setFieldError(input, "Enter a name for the passkey.");
      focusFirstInvalid(form);
      return;
    }
    setBusy(form, true);
    try {
      const url = `${BASE}/credentials/${encodeURIComponent(passkey.id)}`;
      const renamed = await jsonOrThrow(await call(url, { method: "PATCH", json: { name } })());
      passkeys = passkeys.map((p) => (p.id === renamed.id ? renamed : p));
      render(renamed.id, "Rename");
      announce(`Renamed the passkey to ${renamed.name}.`);
    } catch (error) {
      setBusy(form, false);
      showError(form, error, { fieldForCode: { 422: "name" }, messages: MESSAGES });
    }
  });
  return form;
}

function startRename(passkey) {
  const row = byId("passkey-list").querySelector(`[data-passkey-id="${CSS.escape(passkey.id)}"]`);
  const form = renameForm(passkey);
  row.replaceChildren(form);
  form.elements.namedItem("name").focus();
}

/** Draws the list; `focusId` and `button` say which button gets the focus afterwards. */
function render(focusId = null, button = "Remove") {
  const list = byId("passkey-list");
  list.replaceChildren(...passkeys.map(item));
  byId("passkeys-empty").hidden = passkeys.length > 0;
  if (!focusId) return;
  const target = list.querySelector(`[data-passkey-id="${CSS.escape(focusId)}"] button[aria-label^="${button}"]`);
  (target ?? byId("passkey-name")).focus();
}

async function remove(passkey, button) {
  listError("");
  const sure = await confirmAction({
    title: `Remove the passkey “${passkey.name}”?`,
    text: "You won't be able to sign in with it any more.",
    confirm: "Remove",
  });
  if (!sure) return;
  button.disabled = true;
  try {
    await stepUp(call(`${BASE}/credentials/${encodeURIComponent(passkey.id)}`, { method: "DELETE" }));
  } catch (error) {
    button.disabled = false;
    if (!(error instanceof ApiError && error.problem.status === 404)) {
      if (error?.name !== "SessionEndedError") listError(`Couldn't remove ${passkey.name}: ${messageOf(error) ?? error.message}`);
      return;
    }
  }
  const index = passkeys.indexOf(passkey);
  passkeys = passkeys.filter((p) => p !== passkey);
  render((passkeys[index] ?? passkeys[index - 1])?.id ?? null);
  if (!passkeys.length) byId("passkey-name").focus();
  announce(`Removed the passkey ${passkey.name}.`);
}

function mountAddForm() {
  const form = byId("passkey-form");
  const name = form.elements.namedItem("name");
  name.addEventListener("input", () => setFieldError(name, ""));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const label = name.value.trim();
    if (!label) {
      setFieldError(name, "Enter a name for the passkey.");
      focusFirstInvalid(form);
      return;
    }
    setBusy(form, true);
    try {
      const options = await stepUp(call(`${BASE}/register/options`, { method: "POST", json: { name: label } }));
      const credential = await createPasskey(options);
      const added = await stepUp(call(`${BASE}/register`, { method: "POST", json: { credential, name: label } }));
      passkeys = [...passkeys, added];
      form.reset();
      render();
      announce(`Added the passkey ${added.name}.`);
    } catch (error) {
      const message = messageOf(error);
      if (message) setFormError(form, message);
      else showError(form, error, { fieldForCode: { 422: "name" } });
      focusFirstInvalid(form);
    } finally {
      setBusy(form, false);
    }
  });
}

/** Loads the list and wires the section; a browser without passkeys gets a word instead of the form. */
export async function mountPasskeys() {
  if (passkeysSupported()) {
    mountAddForm();
  } else {
    byId("passkey-form").replaceChildren(h("p", { class: "muted" }, "This browser can't create passkeys."));
  }
  try {
    passkeys = await jsonOrThrow(await apiFetch(`${BASE}/credentials`));
    render();
  } catch (error) {
    if (error?.name !== "SessionEndedError") listError(`Couldn't load your passkeys: ${error.message}`);
  }
}
