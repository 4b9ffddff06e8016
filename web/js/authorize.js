// /authorize?request=<id>: the bounce an application's sign-in passes through. With the
// session restored (or none), asks the auth service what comes next for the request and
// goes there: back to the application, to log in, or to the consent page.

import {
  INCOMPLETE_REQUEST,
  authorizationPath,
  followDecision,
  requestIdFromLocation,
  showOutcome,
  showRequestError,
} from "./lib/authorize-request.js";
import { byId } from "./lib/dom.js";
import { showPageError, whileStarting } from "./lib/page.js";
import { postJson } from "./lib/post.js";
import { jsonOrThrow } from "./lib/problem.js";
import { apiFetch, refreshSession } from "./lib/session.js";

const id = requestIdFromLocation();

// Without a session the request goes without a token: the answer is then "log in" (or,
// for `prompt=none`, the application's error redirect).
async function decide() {
  const token = await whileStarting(() => refreshSession());
  const path = authorizationPath(id);
  if (!token) return whileStarting(() => postJson(path, {}));
  return whileStarting(() => apiFetch(path, { method: "POST", json: {} }).then(jsonOrThrow));
}

async function boot() {
  byId("page-retry").addEventListener("click", () => window.location.reload());
  if (!id) {
    showOutcome("request-unknown", INCOMPLETE_REQUEST);
    return;
  }
  let decision;
  try {
    decision = await decide();
  } catch (error) {
    showRequestError(error);
    return;
  }
  if (!followDecision(decision, id)) showPageError("Gatehouse answered something this page doesn't know. Try again.");
}

// Back to this page through the back/forward cache: the request was followed already.
window.addEventListener("pageshow", (event) => {
  if (event.persisted) window.location.reload();
});
boot();
