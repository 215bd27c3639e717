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

// The property's IANA zone once the app has read it: every time shown is the hotel's,
// wherever the reader's device is set.
let zone;
export function setZone(tz) { zone = tz; }

function format(iso, options) {
  if (!iso) return '';
  try {
    return new Date(iso).toLocaleString([], { ...options, timeZone: zone });
  } catch {
    return new Date(iso).toLocaleString([], options);
  }
}

/** An instant from the hub in the reader's locale and the property's zone; '' when none. */
export function when(iso) {
  return format(iso, { dateStyle: 'medium', timeStyle: 'short' });
}

/** The property's calendar day of an instant. */
export function day(iso) {
  return format(iso, { dateStyle: 'medium' });
}

/** Asks `question` first, since a delete cannot be undone; a refusal shows as an alert. */
export function deleteButton(label, question, path, done = () => {}) {
  return el('button', { class: 'danger', onclick: async () => {
    if (!confirm(question)) return;
    await api('DELETE', path).catch((e) => alert(e.message));
    done();
  } }, label);
}
