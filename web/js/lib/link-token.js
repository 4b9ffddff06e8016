// The token of a mailed link (`/reset-password#token=…`): read from the URL fragment, which
// never reaches a server, a log or a Referer, and taken out of the address bar at once, so
// that it is not left in the history, a bookmark or a screenshot. Nothing is sent until the
// person presses the page's button.

import { byId } from "./dom.js";
import { ApiError } from "./problem.js";

/** The token of this page's link, or null; the fragment is removed from the URL. */
export function takeLinkToken(location = window.location) {
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  if (location.hash) window.history.replaceState(null, "", location.pathname + location.search);
  // 256 random bits, URL-safe: anything else cannot be one of ours.
  return token && /^[A-Za-z0-9_-]{16,512}$/.test(token) ? token : null;
}

/** Whether a failed call says the link itself is no good (unknown, used or expired). */
export function isDeadLink(error) {
  if (!(error instanceof ApiError)) return false;
  const { status, fieldErrors } = error.problem;
  if ("token" in fieldErrors) return true;
  return [400, 404, 410].includes(status) || (status === 422 && !Object.keys(fieldErrors).length);
}

// Why a link does not work, by the API's problem code.
const DEAD_LINK_REASONS = {
  link_expired: "This link has expired.",
  link_used: "This link has already been used.",
  link_replaced: "A newer link replaced this one: use the one in the most recent email.",
};

/** What to tell the person about a link the API refused. */
export function deadLinkReason(error) {
  return DEAD_LINK_REASONS[error.problem.code] ?? "This link has expired or has already been used.";
}

/** Swaps the page's current step for `id`, and takes the focus there (announced). */
export function showOutcome(id, reason) {
  for (const step of document.querySelectorAll("#token-step, .outcome")) step.hidden = step.id !== id;
  const outcome = byId(id);
  if (reason) byId(`${id}-reason`).textContent = reason;
  outcome.focus();
}

export const INCOMPLETE_LINK =
  "This link is incomplete. Open it straight from the email, or copy all of it into the address bar.";
