// Property settings (TEAM-1) and the rooms list.
import { api, el, submitting } from '/common/api.js';
import { DAYS, field, input, setZone } from '/common/forms.js';
import { languageName } from '/admin/translations.js';

const DAY_NAMES = { mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday' };

// After set-up, or while the basics are missing: what to do first, each step done or not.
function checklist(p, tz) {
  const here = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const useHere = here && here !== 'UTC' && p.time_zone === 'UTC'
    ? el('button', { type: 'button', class: 'secondary', id: 'use-device-zone',
      onclick: () => { tz.value = here; tz.focus(); } }, `Use ${here} (this device's)`)
    : null;
  const steps = [
    [p.name !== 'My hotel', 'Name your property', 'guests see it in the chat', null],
    [p.time_zone !== 'UTC', 'Set its time zone', 'for working hours, check-in times and scenarios', useHere],
    [p.latitude != null && p.longitude != null, 'Give its location', 'latitude and longitude, for sunrise, sunset and the weather', null],
    [p.working_hours.length > 0, 'Set working hours', 'outside them guests leave a message instead', null],
    [false, 'Put the chat on your website', '', el('a', { href: '#chat' }, 'Chat settings')],
    [false, 'Invite your team', '', el('a', { href: '#team' }, 'Team')],
  ];
  return el('div', { class: 'card', id: 'getting-started' }, el('h2', {}, 'Getting started'),
    el('ol', { class: 'checklist' }, steps.map(([done, what, why, action]) => el('li', { class: done ? 'done' : '' },
      el('span', { class: 'tick', 'aria-label': done ? 'done' : 'to do' }, done ? '✓' : '○'), ' ', el('strong', {}, what),
      why ? el('span', { class: 'muted' }, ` — ${why}`) : '', action ? [' ', action] : ''))));
}

export async function propertyView() {
  const p = await api('GET', '/property');
  const name = input(p.name, { required: true, maxlength: 100 });
  const logo = input(p.logo_url, { type: 'url', placeholder: 'https://…' });
  const tz = input(p.time_zone, { list: 'zones', required: true });
  const zones = el('datalist', { id: 'zones' },
    ...(Intl.supportedValuesOf ? Intl.supportedValuesOf('timeZone') : []).map((z) => el('option', { value: z })));
  const lat = input(p.latitude, { type: 'number', step: 'any', min: -90, max: 90 });
  const lon = input(p.longitude, { type: 'number', step: 'any', min: -180, max: 180 });
  const alert = input(p.unanswered_alert_minutes, { type: 'number', min: 1, max: 1440, required: true });
  const languages = input(p.languages.join(', '), { required: true });
  const outText = el('textarea', { maxlength: 1000 }, p.out_of_hours_text);
  // The out-of-hours text in each further language, redrawn as the language list changes.
  const outTexts = { ...p.out_of_hours_texts };
  const outOthers = el('div', { id: 'out-of-hours-texts' });
  const tags = () => languages.value.split(',').map((t) => t.trim()).filter(Boolean);
  const drawOutTexts = () => outOthers.replaceChildren(...tags().slice(1).map((tag) => {
    const box = el('textarea', { maxlength: 1000, lang: tag, placeholder: outText.value }, outTexts[tag] || '');
    box.addEventListener('input', () => { outTexts[tag] = box.value; });
    return field(`p-out-${tag.replace(/[^a-zA-Z0-9]/g, '')}`, `Out-of-hours text in ${languageName(tag)}`, box);
  }));
  languages.addEventListener('change', drawOutTexts);
  drawOutTexts();
  const hours = DAYS.map((day) => {
    const current = p.working_hours.find((w) => w.day === day);
    const open = el('input', { type: 'checkbox', checked: Boolean(current), 'aria-label': `Open on ${DAY_NAMES[day]}` });
    // Two plain 24-hour boxes alike: a time picker cannot say 24:00 (midnight).
    const hhmm = (value, label, midnight) => el('input', { type: 'text', inputmode: 'numeric', value, class: 'hhmm',
      placeholder: 'HH:MM', pattern: midnight ? '([01]\\d|2[0-3]):[0-5]\\d|24:00' : '([01]\\d|2[0-3]):[0-5]\\d',
      'aria-label': `${label} on ${DAY_NAMES[day]}`, title: 'Hours and minutes, 24-hour clock' });
    const from = hhmm(current ? current.open : '08:00', 'Opens', false);
    const to = hhmm(current ? current.close : '20:00', 'Closes', true);
    return { day, open, from, to, row: el('tr', {}, el('td', {}, el('label', {}, open, ' ', DAY_NAMES[day])), el('td', {}, from), el('td', {}, to)) };
  });
  const form = el('form', { class: 'card', id: 'property-form' },
    el('h2', {}, 'Property'),
    field('p-name', 'Name', name),
    field('p-logo', 'Logo URL', logo),
    el('div', { class: 'row' }, field('p-tz', 'Time zone', tz), field('p-lat', 'Latitude', lat), field('p-lon', 'Longitude', lon)),
    zones,
    el('h2', { class: 'spaced' }, 'Working hours'),
    el('table', { class: 'hours' }, el('thead', {}, el('tr', {}, ['Open on', 'Opens', 'Closes'].map((h) => el('th', {}, h)))),
      el('tbody', {}, hours.map((h) => h.row))),
    el('p', { class: 'muted' }, '24-hour times; 24:00 is midnight, and a closing time before the opening runs past midnight (a night desk).'),
    field('p-out', 'Out-of-hours text for guests', outText),
    outOthers,
    el('div', { class: 'row' }, field('p-alert', 'Alert the team after (minutes unanswered)', alert),
      field('p-langs', 'Languages (first is the default)', languages)),
    el('div', { class: 'error', role: 'alert' }),
    el('p', { class: 'notice', id: 'property-saved' }),
    el('button', { type: 'submit' }, 'Save'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const number = (i) => (i.value === '' ? null : Number(i.value));
    const body = {
      name: name.value, logo_url: logo.value, time_zone: tz.value,
      latitude: number(lat), longitude: number(lon),
      working_hours: hours.filter((h) => h.open.checked).map((h) => ({ day: h.day, open: h.from.value, close: h.to.value })),
      out_of_hours_text: outText.value,
      out_of_hours_texts: Object.fromEntries(tags().slice(1).filter((t) => outTexts[t]?.trim()).map((t) => [t, outTexts[t]])),
      unanswered_alert_minutes: Number(alert.value),
      languages: tags(),
    };
    const saved = await submitting(form, () => api('PUT', '/admin/property', body));
    if (saved) {
      form.querySelector('#property-saved').textContent = 'Saved.';
      document.getElementById('property-name').textContent = saved.name;
      setZone(saved.time_zone);
      const list = document.getElementById('getting-started');
      if (list) list.replaceWith(checklist(saved, tz));
    }
  });
  const basicsMissing = p.name === 'My hotel' || p.time_zone === 'UTC' || p.latitude == null;
  const afterSetUp = new URLSearchParams(location.search).has('start');
  return afterSetUp || basicsMissing ? el('div', {}, checklist(p, tz), form) : form;
}

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

// Removing a room takes its stays with it and leaves its devices unplaced: the question
// says how many of each before anything goes.
function removeButton(room, done) {
  return el('button', { class: 'danger', type: 'button', onclick: async () => {
    try {
      const [usage, devices] = await Promise.all([api('GET', `/admin/rooms/${room.id}/usage`), api('GET', '/devices')]);
      const placed = devices.filter((d) => d.room_id === room.id).length;
      const takes = [
        usage.stays_ahead ? `its ${plural(usage.stays_ahead, 'reservation', 'reservations')} still to come` : '',
        usage.stays_past ? `the history of ${plural(usage.stays_past, 'past stay', 'past stays')}` : '',
      ].filter(Boolean);
      const question = [`Delete ${room.name}?`,
        takes.length ? `This also deletes ${takes.join(' and ')}.` : 'It has no reservations.',
        placed ? `Its ${plural(placed, 'device stays', 'devices stay')} connected but no longer placed in a room.` : '',
        'Its guest page address stops working, and so does the QR plate printed for it (rename a room instead to keep them).',
        'This cannot be undone.'].filter(Boolean).join(' ');
      if (!confirm(question)) return;
      await api('DELETE', `/admin/rooms/${room.id}`);
    } catch (e) {
      alert(e.message);
    }
    done();
  } }, 'Delete');
}

// A room's row: its name and kind, or the form that renames it in place.
function roomRow(room, done) {
  const row = el('tr', { 'data-room': room.name });
  const show = () => row.replaceChildren(el('td', {}, room.name), el('td', { class: 'muted' }, room.kind),
    el('td', { class: 'room-tools' }, el('button', { type: 'button', class: 'secondary', onclick: edit }, 'Rename'), ' ', removeButton(room, done)));
  const edit = () => {
    const name = input(room.name, { required: true, maxlength: 60, 'aria-label': `New name of ${room.name}` });
    const kind = el('select', { 'aria-label': 'Kind' }, ...['room', 'villa', 'car', 'area'].map((k) => el('option', { value: k, selected: k === room.kind }, k)));
    const form = el('form', { class: 'row' }, name, kind, el('button', { type: 'submit' }, 'Save'),
      el('button', { type: 'button', class: 'secondary', onclick: show }, 'Cancel'), el('div', { class: 'error', role: 'alert' }));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (await submitting(form, () => api('PUT', `/admin/rooms/${room.id}`, { name: name.value, kind: kind.value }))) done();
    });
    row.replaceChildren(el('td', { colspan: 3 }, form));
    name.focus();
  };
  show();
  return row;
}

export async function roomsView() {
  const root = el('div');
  const render = async () => {
    const rooms = await api('GET', '/rooms');
    const name = el('input', { required: true, maxlength: 60 });
    const kind = el('select', {}, ...['room', 'villa', 'car', 'area'].map((k) => el('option', { value: k }, k)));
    const form = el('form', { class: 'card' }, el('h2', {}, 'Add a room, villa, car or area'),
      el('div', { class: 'row' }, field('room-name', 'Name', name), field('room-kind', 'Kind', kind), el('button', { type: 'submit' }, 'Add')),
      el('div', { class: 'error', role: 'alert' }));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (await submitting(form, () => api('POST', '/admin/rooms', { name: name.value, kind: kind.value }))) render();
    });
    const list = el('div', { class: 'card' }, el('h2', {}, `Rooms (${rooms.length})`),
      el('p', { class: 'muted' }, 'Renaming keeps a room\'s stays, devices, guest page address and printed QR plate.'),
      el('table', {}, el('tbody', {}, rooms.map((r) => roomRow(r, render)))));
    root.replaceChildren(form, list);
  };
  await render();
  return root;
}
