// /verify-email and /confirm-email: one button that sends the link's token (from the
// fragment) to the URL in the page's data-url.

import { announce, byId } from "./dom.js";
import { setBusy, showError } from "./forms.js";
import { INCOMPLETE_LINK, deadLinkReason, isDeadLink, showOutcome, takeLinkToken } from "./link-token.js";
import { jsonOrThrow } from "./problem.js";

const { url } = document.querySelector("main").dataset;
const token = takeLinkToken();
const form = byId("token-form");

async function submit(event) {
  event.preventDefault();
  setBusy(form, true);
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({ token }),
    });
    await jsonOrThrow(response);
  } catch (error) {
    setBusy(form, false);
    if (isDeadLink(error)) showOutcome("token-invalid", deadLinkReason(error));
    else showError(form, error);
    return;
  }
  showOutcome("token-done");
  announce(byId("token-done").textContent.trim());
}

if (token) {
  byId("token-step").hidden = false;
  form.addEventListener("submit", submit);
  form.querySelector("button[type=submit]").focus();
} else {
  showOutcome("token-invalid", INCOMPLETE_LINK);
}
