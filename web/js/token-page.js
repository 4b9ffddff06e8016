// /verify-email and /confirm-email: one button that sends the link's token (from the
// fragment) to the URL in the page's data-url.

import { announce, byId } from "./lib/dom.js";
import { setBusy, showError } from "./lib/forms.js";
import { INCOMPLETE_LINK, deadLinkReason, isDeadLink, showOutcome, takeLinkToken } from "./lib/link-token.js";
import { postJson } from "./lib/post.js";

const { url } = document.querySelector("main").dataset;
const token = takeLinkToken();
const form = byId("token-form");

async function submit(event) {
  event.preventDefault();
  setBusy(form, true);
  try {
    await postJson(url, { token });
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
