// /consent?request=<id>: the person allows or denies what an application asks for. The
// application's name and the scopes' words come from the auth service and go into the
// page as text only (a client's name is whatever its registration said).

import {
  INCOMPLETE_REQUEST,
  authorizationPath,
  consentPath,
  followDecision,
  loginUrlFor,
  requestIdFromLocation,
  showOutcome,
  showRequestError,
} from "./lib/authorize-request.js";
import { byId, h } from "./lib/dom.js";
import { setBusy, showError } from "./lib/forms.js";
import { followSession, restoreSessionOrLeave } from "./lib/page.js";
import { jsonOrThrow } from "./lib/problem.js";
import { apiFetch } from "./lib/session.js";

const id = requestIdFromLocation();
const form = byId("consent-form");

function draw({ client, scopes }, me) {
  const name = String(client?.name || client?.client_id || "An application");
  document.title = `Allow ${name} · Gatehouse`;
  byId("page-title").replaceChildren("Allow ", h("span", { class: "consent-app" }, name), "?");
  byId("consent-app").textContent = name;
  byId("consent-email").textContent = me?.email ? `(${me.email})` : "";
  const words = (Array.isArray(scopes) ? scopes : []).map((scope) => String(scope?.text || scope?.scope || scope));
  byId("consent-scopes").replaceChildren(...words.map((text) => h("li", {}, text)));
  byId("consent-switch").href = loginUrlFor(id, { fresh: true });
  byId("page-status").hidden = true;
  form.hidden = false;
  byId("consent-switch-row").hidden = false;
  document.body.dataset.ready = "true";
}

async function answer(event) {
  event.preventDefault();
  const allow = event.submitter?.value === "allow";
  setBusy(form, true);
  let decision;
  try {
    const response = await apiFetch(consentPath(id), { method: "POST", json: { allow } });
    decision = await jsonOrThrow(response);
  } catch (error) {
    setBusy(form, false);
    if (error?.problem?.status === 404) showRequestError(error);
    else showError(form, error);
    return;
  }
  // The browser leaves for the application: the buttons stay busy until it has.
  if (!followDecision(decision, id)) {
    setBusy(form, false);
    showError(form, new Error("unexpected decision"));
  }
}

async function boot() {
  if (!id) {
    byId("page-retry").addEventListener("click", () => window.location.reload());
    showOutcome("request-unknown", INCOMPLETE_REQUEST);
    return;
  }
  followSession();
  if (!(await restoreSessionOrLeave())) return;
  try {
    const [request, me] = await Promise.all([
      apiFetch(authorizationPath(id)).then(jsonOrThrow),
      apiFetch("/api/auth/me")
        .then(jsonOrThrow)
        .catch(() => null),
    ]);
    draw(request, me);
  } catch (error) {
    showRequestError(error);
    return;
  }
  form.addEventListener("submit", answer);
}

boot();
