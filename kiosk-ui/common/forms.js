// The admin app's form pieces, so every section labels, dates and deletes alike.
import { api, el } from '/common/api.js';

// The hub's spelling of the week, Monday first as in its working hours and conditions.
export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** A label over its input; the input takes `id` so the label points at it. */
export function field(id, label, input) {
  input.id = id;
  return el('div', {}, el('label', { for: id }, label), input);
}

/** An input showing a setting that may be unset (null shows as empty). */
export function input(value, attrs = {}) {
  return el('input', { value: value ?? '', ...attrs });
}

/** An instant from the hub in the reader's own locale and zone; '' when there is none. */
export function when(iso) {
  return iso ? new Date(iso).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' }) : '';
}

/** Asks `question` first, since a delete cannot be undone; a refusal shows as an alert. */
export function deleteButton(label, question, path, done = () => {}) {
  return el('button', { class: 'danger', onclick: async () => {
    if (!confirm(question)) return;
    await api('DELETE', path).catch((e) => alert(e.message));
    done();
  } }, label);
}
