// The notes card: list, add, edit in place, delete.

import { announce, byId, h } from "./dom.js";
import { confirmAction } from "./confirm.js";
import { clearErrors, focusFirstInvalid, setBusy, setFieldError, showError } from "./forms.js";
import { timeElement } from "./format.js";
import { jsonOrThrow } from "./problem.js";
import { apiFetch } from "./session.js";

const NOTES_URL = "/api/resource/notes";
const noteUrl = (id) => `${NOTES_URL}/${encodeURIComponent(id)}`;

function asList(data) {
  if (Array.isArray(data)) return data;
  return data?.items ?? data?.notes ?? data?.data ?? [];
}

function newestFirst(a, b) {
  return String(b.updated_at ?? b.created_at).localeCompare(String(a.updated_at ?? a.created_at));
}

function field({ id, label, name, value, multiline }) {
  const control = multiline
    ? h("textarea", { id, name, rows: 4, "aria-describedby": `${id}-error` })
    : h("input", { id, name, maxlength: 200, required: true, "aria-describedby": `${id}-error` });
  control.value = value ?? "";
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    control,
    h("p", { class: "field-error", id: `${id}-error`, "aria-live": "polite" }),
  );
}

function validTitle(form) {
  const title = form.elements.namedItem("title");
  if (title.value.trim()) return true;
  setFieldError(title, "Give the note a title.");
  focusFirstInvalid(form);
  return false;
}

function valuesOf(form) {
  return {
    title: form.elements.namedItem("title").value.trim(),
    body: form.elements.namedItem("body").value,
  };
}

// Ctrl+Enter (⌘+Enter) in the body saves, as in most editors.
function submitOnModEnter(event) {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    event.target.form.requestSubmit();
  }
}

export function mountNotes() {
  const form = byId("note-form");
  const list = byId("note-list");
  const empty = byId("notes-empty");
  const count = byId("notes-count");
  const loadError = byId("notes-error");
  let notes = [];
  let editingId = null;

  function render(focus) {
    list.replaceChildren(...notes.map((note) => (note.id === editingId ? editor(note) : card(note))));
    empty.hidden = notes.length > 0;
    count.textContent = notes.length ? `${notes.length}` : "";
    count.setAttribute("aria-label", `${notes.length} note${notes.length === 1 ? "" : "s"}`);
    focus?.();
  }

  function focusNote(id, action = "edit") {
    return () => list.querySelector(`[data-note-id="${CSS.escape(String(id))}"] [data-action="${action}"]`)?.focus();
  }

  function card(note) {
    const titleId = `note-${note.id}-title`;
    // Timestamps of a new note differ by microseconds; an edit is a real change later.
    const edited = Date.parse(note.updated_at) - Date.parse(note.created_at) > 1000;
    return h(
      "li",
      { class: "note", dataset: { noteId: note.id } },
      h(
        "article",
        { "aria-labelledby": titleId },
        h("h3", { class: "note-title", id: titleId }, note.title),
        note.body ? h("p", { class: "note-body" }, note.body) : null,
        h(
          "div",
          { class: "note-footer" },
          h("p", { class: "note-meta" }, edited ? "Edited " : "Added ", timeElement(note.updated_at ?? note.created_at)),
          h(
            "div",
            { class: "note-actions" },
            h(
              "button",
              { type: "button", class: "btn btn-quiet btn-small", "data-action": "edit", "aria-label": `Edit “${note.title}”`, onclick: () => startEditing(note.id) },
              "Edit",
            ),
            h(
              "button",
              { type: "button", class: "btn btn-danger-quiet btn-small", "data-action": "delete", "aria-label": `Delete “${note.title}”`, onclick: (event) => remove(note, event.currentTarget) },
              "Delete",
            ),
          ),
        ),
      ),
    );
  }

  function editor(note) {
    const prefix = `note-${note.id}-edit`;
    const editForm = h(
      "form",
      { class: "note-edit", novalidate: true, "aria-label": `Edit “${note.title}”` },
      field({ id: `${prefix}-title`, label: "Title", name: "title", value: note.title }),
      field({ id: `${prefix}-body`, label: "Body", name: "body", value: note.body, multiline: true }),
      h("div", { class: "form-error", role: "alert", tabindex: "-1", hidden: true }),
      h(
        "div",
        { class: "form-actions" },
        h("button", { type: "submit", class: "btn btn-primary btn-small" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Save"),
        h("button", { type: "button", class: "btn btn-quiet btn-small", onclick: () => stopEditing(note.id) }, "Cancel"),
      ),
    );
    editForm.addEventListener("submit", (event) => save(event, note));
    editForm.addEventListener("keydown", (event) => {
      if (event.key === "Escape") stopEditing(note.id);
    });
    editForm.elements.namedItem("body").addEventListener("keydown", submitOnModEnter);
    return h("li", { class: "note is-editing", dataset: { noteId: note.id } }, editForm);
  }

  function startEditing(id) {
    editingId = id;
    render(() => list.querySelector(`[data-note-id="${CSS.escape(String(id))}"] input`)?.focus());
  }

  function stopEditing(id) {
    editingId = null;
    render(focusNote(id));
  }

  async function save(event, note) {
    event.preventDefault();
    const editForm = event.currentTarget;
    clearErrors(editForm);
    if (!validTitle(editForm)) return;
    setBusy(editForm, true);
    try {
      const updated = await jsonOrThrow(await apiFetch(noteUrl(note.id), { method: "PATCH", json: valuesOf(editForm) }));
      notes = notes.map((existing) => (existing.id === note.id ? { ...existing, ...updated } : existing));
      editingId = null;
      render(focusNote(note.id));
      announce("Note saved.");
    } catch (error) {
      setBusy(editForm, false);
      showError(editForm, error);
    }
  }

  async function remove(note, button) {
    const sure = await confirmAction({
      title: `Delete “${note.title}”?`,
      text: "The note is deleted for good: it can't be brought back.",
      confirm: "Delete",
    });
    if (!sure) return;
    button.disabled = true;
    try {
      await jsonOrThrow(await apiFetch(noteUrl(note.id), { method: "DELETE" }));
    } catch (error) {
      // Already gone elsewhere is as good as deleted here.
      if (error?.problem?.status !== 404) {
        button.disabled = false;
        if (error?.name !== "SessionEndedError") showCardError(`Couldn't delete “${note.title}”: ${error.message}`);
        return;
      }
    }
    showCardError("");
    const index = notes.findIndex((existing) => existing.id === note.id);
    notes = notes.filter((existing) => existing.id !== note.id);
    const neighbour = notes[Math.min(index, notes.length - 1)];
    render(neighbour ? focusNote(neighbour.id) : () => form.elements.namedItem("title").focus());
    announce(`Deleted “${note.title}”.`);
  }

  async function create(event) {
    event.preventDefault();
    clearErrors(form);
    if (!validTitle(form)) return;
    setBusy(form, true);
    try {
      const created = await jsonOrThrow(await apiFetch(NOTES_URL, { method: "POST", json: valuesOf(form) }));
      notes = [created, ...notes];
      form.reset();
      render(() => form.elements.namedItem("title").focus());
      announce(`Added “${created.title}”.`);
    } catch (error) {
      showError(form, error);
    } finally {
      setBusy(form, false);
    }
  }

  form.addEventListener("submit", create);
  form.elements.namedItem("body").addEventListener("keydown", submitOnModEnter);
  form.elements.namedItem("title").addEventListener("input", (event) => setFieldError(event.target, ""));

  function showCardError(message) {
    loadError.textContent = message;
    loadError.hidden = !message;
  }

  async function load() {
    try {
      notes = asList(await jsonOrThrow(await apiFetch(NOTES_URL))).sort(newestFirst);
      showCardError("");
      render();
    } catch (error) {
      if (error?.name !== "SessionEndedError") showCardError(`Couldn't load your notes: ${error.message}`);
    }
  }

  return { load };
}
