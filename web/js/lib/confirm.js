// Asking once before an action that cannot be undone ("Turn off", "Remove", "Delete",
// "Log out everywhere"): a modal <dialog role="alertdialog">, built once per page. Cancel
// or Escape leaves everything as it was; the focus starts on "Cancel", the choice that
// changes nothing, and goes back to the button that asked.

import { h } from "./dom.js";

let parts = null;

function build() {
  const title = h("h2", { id: "confirm-title" });
  const text = h("p", { class: "muted", id: "confirm-text" });
  const cancel = h("button", { type: "submit", value: "cancel", class: "btn btn-secondary" }, "Cancel");
  const confirm = h("button", { type: "submit", value: "confirm", class: "btn btn-danger" });
  const dialog = h(
    "dialog",
    {
      class: "card dialog",
      id: "confirm-dialog",
      role: "alertdialog",
      "aria-modal": "true",
      "aria-labelledby": "confirm-title",
      "aria-describedby": "confirm-text",
    },
    title,
    text,
    h("form", { method: "dialog" }, h("div", { class: "form-actions" }, cancel, confirm)),
  );
  document.body.append(dialog);
  return { dialog, title, text, cancel, confirm };
}

/**
 * Asks "`title`" with `text` and a `confirm` button (what it does: "Delete"); resolves
 * true when the person chose it, false otherwise.
 */
export function confirmAction({ title, text, confirm }) {
  parts ??= build();
  const { dialog } = parts;
  parts.title.textContent = title;
  parts.text.textContent = text;
  parts.confirm.textContent = confirm;
  const opener = document.activeElement;
  return new Promise((resolve) => {
    dialog.returnValue = "";
    dialog.addEventListener(
      "close",
      () => {
        const confirmed = dialog.returnValue === "confirm";
        if (!confirmed && opener instanceof HTMLElement) opener.focus();
        resolve(confirmed);
      },
      { once: true },
    );
    dialog.showModal();
    parts.cancel.focus();
  });
}
