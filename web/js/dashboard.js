// The dashboard at "/": who the user is, their notes and their sessions.

import { confirmAction } from "./lib/confirm.js";
import { byId, h } from "./lib/dom.js";
import { formatDate } from "./lib/format.js";
import { mountNotes } from "./lib/notes.js";
import { followSession, restoreSessionOrLeave, showPageError, whileStarting } from "./lib/page.js";
import { jsonOrThrow } from "./lib/problem.js";
import { mountSessions } from "./lib/sessions.js";
import { mountVerifyBanner } from "./lib/verify-banner.js";
import {
  SessionEndedError,
  apiFetch,
  logOut,
} from "./lib/session.js";

const status = byId("page-status");

function showIdentity(identity, profile) {
  const email = identity.email ?? profile?.email ?? identity.sub;
  byId("identity-email").textContent = email;
  byId("topbar-email").textContent = email;
  byId("avatar").textContent = (email?.[0] ?? "?").toUpperCase();
  for (const [id, value] of [["identity-sub", identity.sub ?? profile?.id], ["identity-sid", identity.sid]]) {
    byId(id).textContent = value ?? "";
    byId(id).title = value ?? "";
  }
  const scopes = String(identity.scope ?? "").split(" ").filter(Boolean);
  byId("identity-scope").replaceChildren(
    ...(scopes.length ? scopes.map((scope) => h("span", { class: "chip" }, scope)) : ["none"]),
  );
  if (profile?.created_at) {
    byId("identity-created").textContent = formatDate(profile.created_at);
    byId("identity-created-row").hidden = false;
  }
  byId("topbar-user").hidden = false;
}

async function leave(button, options) {
  button.disabled = true;
  button.classList.add("is-busy");
  try {
    await logOut(options);
    window.location.replace(`/login?notice=${options?.everywhere ? "logged-out-everywhere" : "logged-out"}`);
  } catch (error) {
    button.disabled = false;
    button.classList.remove("is-busy");
    if (!(error instanceof SessionEndedError)) showPageError(`Couldn't log out: ${error.message}`);
  }
}

async function boot() {
  if (!(await restoreSessionOrLeave())) return;
  let me;
  try {
    // The resource service may answer a moment after the auth service while the stack starts.
    me = await whileStarting(() => apiFetch("/api/resource/me").then(jsonOrThrow));
  } catch (error) {
    if (!(error instanceof SessionEndedError)) showPageError(`Couldn't load your account: ${error.message}`);
    return;
  }
  // The rest at once: if the token expires meanwhile, the calls share one refresh.
  const profile = apiFetch("/api/auth/me")
    .then(jsonOrThrow)
    .catch(() => null);
  const notes = mountNotes();
  const notesLoaded = notes.load();
  mountSessions({ currentSid: me.sid }).load();
  const account = await profile;
  showIdentity(me, account);
  mountVerifyBanner(account);
  await notesLoaded;
  status.hidden = true;
  byId("dashboard").hidden = false;
  document.body.dataset.ready = "true";
}

byId("logout").addEventListener("click", (event) => leave(event.currentTarget));
byId("logout-all").addEventListener("click", async (event) => {
  const button = event.currentTarget;
  const sure = await confirmAction({
    title: "Log out everywhere?",
    text: "Every device signed in to your account, this one included, will be logged out.",
    confirm: "Log out everywhere",
  });
  if (sure) leave(button, { everywhere: true });
});
followSession();
boot();
