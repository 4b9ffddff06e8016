// The sessions card: where the account is signed in, revoking one.

import { confirmAction } from "./confirm.js";
import { announce, byId, h } from "./dom.js";
import { describeUserAgent, formatDateTime, formatShortDate, isMobile, timeElement } from "./format.js";
import { jsonOrThrow } from "./problem.js";
import { apiFetch } from "./session.js";

const SESSIONS_URL = "/api/auth/sessions";

function asList(data) {
  if (Array.isArray(data)) return data;
  return data?.items ?? data?.sessions ?? data?.data ?? [];
}

function deviceIcon(userAgent) {
  const path = isMobile(userAgent)
    ? "M8 3h8a1 1 0 0 1 1 1v16a1 1 0 0 1-1 1H8a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1zm3 15h2"
    : "M4 5h16a1 1 0 0 1 1 1v10H3V6a1 1 0 0 1 1-1zM1 19h22";
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "device-icon");
  const shape = document.createElementNS("http://www.w3.org/2000/svg", "path");
  shape.setAttribute("d", path);
  svg.append(shape);
  return svg;
}

export function mountSessions({ currentSid }) {
  const list = byId("session-list");
  const errorBox = byId("sessions-error");
  let sessions = [];

  const isCurrent = (session) => session.current === true || (currentSid && session.id === currentSid);

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = !message;
  }

  function item(session) {
    const device = describeUserAgent(session.user_agent);
    const current = isCurrent(session);
    return h(
      "li",
      { class: `session${current ? " is-current" : ""}`, dataset: { sessionId: session.id }, "aria-current": current ? "true" : null },
      h("span", { class: "session-icon" }, deviceIcon(session.user_agent)),
      h(
        "div",
        { class: "session-main" },
        h("p", { class: "session-device", title: session.user_agent ?? "" }, device, current ? h("span", { class: "badge" }, "This device") : null),
        h(
          "p",
          { class: "session-meta" },
          "Active ",
          timeElement(session.last_used_at ?? session.created_at),
          " · since ",
          h("time", { datetime: session.created_at, title: formatDateTime(session.created_at) }, formatShortDate(session.created_at)),
        ),
      ),
      current
        ? null
        : h(
            "button",
            {
              type: "button",
              class: "btn btn-danger-quiet btn-small",
              "aria-label": `Revoke ${device}, signed in ${formatDateTime(session.created_at)}`,
              onclick: (event) => revoke(session, event.currentTarget),
            },
            "Revoke",
          ),
    );
  }

  function render(focus) {
    list.replaceChildren(...sessions.map(item));
    focus?.();
  }

  async function revoke(session, button) {
    const device = describeUserAgent(session.user_agent);
    const sure = await confirmAction({
      title: "Revoke this session?",
      text: `${device}, signed in ${formatDateTime(session.created_at)}, will be logged out.`,
      confirm: "Revoke",
    });
    if (!sure) return;
    button.disabled = true;
    try {
      await jsonOrThrow(await apiFetch(`${SESSIONS_URL}/${encodeURIComponent(session.id)}`, { method: "DELETE" }));
    } catch (error) {
      if (error?.problem?.status !== 404) {
        button.disabled = false;
        if (error?.name !== "SessionEndedError") showError(`Couldn't revoke that session: ${error.message}`);
        return;
      }
    }
    showError("");
    const index = sessions.indexOf(session);
    sessions = sessions.filter((other) => other !== session);
    const neighbour = list.children[index + 1] ?? list.children[index - 1];
    const neighbourId = neighbour?.dataset.sessionId;
    render(() => {
      const target = list.querySelector(`[data-session-id="${CSS.escape(String(neighbourId))}"] button`);
      (target ?? byId("logout-all")).focus();
    });
    announce(`Revoked ${describeUserAgent(session.user_agent)}.`);
  }

  async function load() {
    try {
      sessions = asList(await jsonOrThrow(await apiFetch(SESSIONS_URL)));
      // This device first, then the most recently used.
      sessions.sort(
        (a, b) =>
          Number(isCurrent(b)) - Number(isCurrent(a)) ||
          String(b.last_used_at ?? b.created_at).localeCompare(String(a.last_used_at ?? a.created_at)),
      );
      showError("");
      render();
    } catch (error) {
      if (error?.name !== "SessionEndedError") showError(`Couldn't load your sessions: ${error.message}`);
    }
  }

  return { load };
}
