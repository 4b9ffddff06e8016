// The settings page's "Connected apps": the applications the person allowed to sign them
// in (GET /api/auth/grants) and "Remove access" for each, after a confirmation. Removing
// one ends what it holds: its refresh tokens die and its access tokens are refused.

import { confirmAction } from "./confirm.js";
import { announce, byId, h } from "./dom.js";
import { formatDateTime } from "./format.js";
import { ApiError, jsonOrThrow, rateLimitMessage } from "./problem.js";
import { apiFetch } from "./session.js";

const GRANTS_URL = "/api/auth/grants";

let apps = [];

// A grant's scopes: names ("email"), or {scope, text} with the words for them.
const scopeWords = (scopes) => (Array.isArray(scopes) ? scopes : []).map((s) => String(s?.text || s?.scope || s));

function listError(message) {
  const box = byId("apps-error");
  box.textContent = message;
  box.hidden = !message;
  if (message) box.focus();
}

function nameOf(app) {
  return String(app.name || app.client_id);
}

function item(app) {
  const name = nameOf(app);
  const scopes = scopeWords(app.scopes);
  return h(
    "li",
    { class: "session passkey connected-app", dataset: { clientId: app.client_id } },
    h(
      "div",
      { class: "session-main" },
      h("p", { class: "session-device passkey-name" }, name),
      h("p", { class: "session-meta" }, app.granted_at ? `Allowed ${formatDateTime(app.granted_at)}` : "Allowed"),
      scopes.length ? h("ul", { class: "chips app-scopes", "aria-label": `What ${name} may do` }, scopes.map((s) => h("li", { class: "chip" }, s))) : null,
    ),
    h(
      "div",
      { class: "note-actions" },
      h("button", { type: "button", class: "btn btn-danger-quiet btn-small", "aria-label": `Remove access of ${name}`, onclick: (e) => remove(app, e.currentTarget) }, "Remove access"),
    ),
  );
}

function render(focusClientId = null) {
  const list = byId("app-list");
  list.replaceChildren(...apps.map(item));
  byId("apps-empty").hidden = apps.length > 0;
  if (focusClientId === null) return;
  const target = list.querySelector(`[data-client-id="${CSS.escape(focusClientId)}"] button`);
  (target ?? byId("apps-title")).focus();
}

async function remove(app, button) {
  listError("");
  const name = nameOf(app);
  const sure = await confirmAction({
    title: `Remove the access of “${name}”?`,
    text: `${name} will be signed out and can't use your account any more unless you allow it again.`,
    confirm: "Remove access",
  });
  if (!sure) return;
  button.disabled = true;
  try {
    await jsonOrThrow(await apiFetch(`${GRANTS_URL}/${encodeURIComponent(app.client_id)}`, { method: "DELETE" }));
  } catch (error) {
    // 404: gone already (removed in another tab), which is what was asked.
    if (!(error instanceof ApiError && error.problem.status === 404)) {
      button.disabled = false;
      if (error?.name !== "SessionEndedError") {
        listError(`Couldn't remove the access of ${name}: ${rateLimitMessage(error) ?? error.message}`);
      }
      return;
    }
  }
  const index = apps.indexOf(app);
  apps = apps.filter((other) => other !== app);
  render((apps[index] ?? apps[index - 1])?.client_id ?? "");
  announce(`Removed the access of ${name}.`);
}

/** Loads the list of connected apps into #app-list. */
export async function mountConnectedApps() {
  try {
    const answer = await jsonOrThrow(await apiFetch(GRANTS_URL));
    apps = Array.isArray(answer) ? answer : (answer?.items ?? []);
    render();
  } catch (error) {
    if (error?.name !== "SessionEndedError") listError(`Couldn't load your connected apps: ${error.message}`);
  }
}
