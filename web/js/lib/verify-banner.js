// The dashboard's banner while the account's email is not verified (`email_verified`
// false in /api/auth/me): a button mails a new link (older links stop working).

import { byId } from "./dom.js";
import { jsonOrThrow, rateLimitMessage } from "./problem.js";
import { SessionEndedError, apiFetch } from "./session.js";

export function mountVerifyBanner(profile) {
  if (!profile || profile.email_verified !== false) return;
  const button = byId("resend-verification");
  const status = byId("verify-status");
  byId("verify-email").textContent = profile.email;
  byId("verify-banner").hidden = false;
  button.addEventListener("click", async () => {
    button.disabled = true;
    button.classList.add("is-busy");
    status.textContent = "";
    try {
      await apiFetch("/api/auth/email/verify/resend", { method: "POST" }).then(jsonOrThrow);
      status.textContent = `We've sent a new link to ${profile.email}. Links sent before it no longer work.`;
    } catch (error) {
      if (error instanceof SessionEndedError) return;
      status.textContent = rateLimitMessage(error) ?? `Couldn't send the email: ${error.message}`;
    } finally {
      button.disabled = false;
      button.classList.remove("is-busy");
    }
  });
}
