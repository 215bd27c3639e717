// Scenarios (SCN-1…5): triggers → conditions → actions, edited with forms; the list with
// next and last runs, run by hand, the history with each run's trace; device groups;
// the weather and sun the scenarios see.
import { api, el, submitting } from '/common/api.js';
import { DAYS, field, when } from '/common/forms.js';

const TRIGGERS = {
  time: ['Every day at', () => ({ type: 'time', at: '18:00' })],
  sun: ['Sunrise / sunset', () => ({ type: 'sun', event: 'sunset', offset_minutes: 0 })],
  cron: ['Cron schedule', () => ({ type: 'cron', expression: '0 8 * * MON-FRI' })],
  booking: ['Booking event', () => ({ type: 'booking', event: 'checked_in' })],
  occupancy: ['Occupancy changes', () => ({ type: 'occupancy', to: 'either' })],
  device: ['Device state', () => ({ type: 'device', device_id: '', field: 'on', op: 'eq', value: true, for_minutes: 0 })],
  weather: ['Weather crosses a threshold', () => ({ type: 'weather', metric: 'cloud_cover', direction: 'rises_above', threshold: 70 })],
  manual: ['Only by hand', () => ({ type: 'manual' })],
};
const CONDITIONS = {
  occupancy: ['Occupancy of the property', () => ({ type: 'occupancy', of: 'any' })],
  unit_occupied: ['A unit is occupied / vacant', () => ({ type: 'unit_occupied', unit_id: 0, occupied: true })],
  time_window: ['Time of day', () => ({ type: 'time_window', after: '22:00', before: '06:00', weekdays: [] })],
  weather: ['Weather', () => ({ type: 'weather', metric: 'cloud_cover', op: 'above', threshold: 70 })],
  device: ['Device state', () => ({ type: 'device', device_id: '', field: 'on', op: 'eq', value: true })],
  and: ['All of…', () => ({ type: 'and', conditions: [] })],
  or: ['Any of…', () => ({ type: 'or', conditions: [] })],
  not: ['Not…', () => ({ type: 'not', condition: { type: 'occupancy', of: 'any' } })],
};
const ACTIONS = {
  device: ['Device command', () => ({ type: 'device', target: { kind: 'device', device_id: '' }, set: { on: true } })],
  delay: ['Wait', () => ({ type: 'delay', seconds: 600 })],
  notify: ['Notify staff', () => ({ type: 'notify', text: '' })],
  message_guest: ['Message the guest', () => ({ type: 'message_guest', to: { kind: 'trigger_reservation' }, text: '' })],
  if: ['If … then … else', () => ({ type: 'if', conditions: [], then: [], else: [] })],
};
// The choices inside each form (modes, events, metrics, comparisons, device fields) come
// from the hub (GET /admin/scenarios/vocabulary), as the model reads them.
let ctx = { devices: [], units: [], groups: [], words: null };
const options = (list) => list.map((c) => [c.value, c.label]);
const isFlag = (field) => ctx.words.device_fields.some((f) => f.value === field && f.flag);

function sel(label, options, value, change) {
  const s = el('select', { 'aria-label': label, 'data-field': label },
    options.map(([v, text]) => el('option', { value: v, selected: String(v) === String(value) }, text)));
  s.addEventListener('change', () => change(s.value));
  return el('label', { class: 'inline' }, `${label} `, s);
}

function input(label, value, change, attrs = {}) {
  const i = el('input', { value: value ?? '', 'aria-label': label, 'data-field': label, ...attrs });
  i.addEventListener('input', () => change(attrs.type === 'number' ? Number(i.value) : i.value));
  return el('label', { class: 'inline' }, `${label} `, i);
}

const deviceOptions = () => [['', '— choose —'], ...ctx.devices.map((d) => [d.id, d.name])];
const unitOptions = () => ctx.units.map((u) => [u.id, u.name]);

function deviceTest(t) {
  const flag = isFlag(t.field);
  return [
    sel('Field', options(ctx.words.device_fields), t.field, (v) => {
      t.field = v;
      if (isFlag(v)) { t.op = 'eq'; t.value = true; } else if (typeof t.value !== 'number') t.value = 0;
      rerender();
    }),
    flag ? sel('Is', [['true', 'yes'], ['false', 'no']], String(t.value), (v) => { t.value = v === 'true'; })
      : [sel('Compare', options(ctx.words.compares), t.op, (v) => { t.op = v; }),
        input('Value', t.value, (v) => { t.value = v; }, { type: 'number', step: 'any' })],
  ];
}

function triggerFields(t) {
  switch (t.type) {
    case 'time': return input('At', t.at, (v) => { t.at = v; }, { type: 'time', required: true });
    case 'cron': return input('Expression', t.expression, (v) => { t.expression = v; }, { required: true, size: 24 });
    case 'sun': return [sel('Event', options(ctx.words.sun_events), t.event, (v) => { t.event = v; }),
      input('Offset (min, − before)', t.offset_minutes, (v) => { t.offset_minutes = v; }, { type: 'number', min: -720, max: 720 })];
    case 'booking': return [sel('Event', options(ctx.words.booking_events), t.event, (v) => { t.event = v; }),
      sel('Unit', [['', 'Any unit'], ...unitOptions()], t.unit_id ?? '', (v) => { t.unit_id = v === '' ? null : Number(v); })];
    case 'occupancy': return [sel('Of', [['', 'The property'], ...unitOptions()], t.unit_id ?? '', (v) => { t.unit_id = v === '' ? null : Number(v); }),
      sel('Becomes', options(ctx.words.occupancy_changes), t.to, (v) => { t.to = v; })];
    case 'device': return [sel('Device', deviceOptions(), t.device_id, (v) => { t.device_id = v; }), ...deviceTest(t),
      input('For (min)', t.for_minutes, (v) => { t.for_minutes = v; }, { type: 'number', min: 0 })];
    case 'weather': return [sel('Metric', options(ctx.words.weather_metrics), t.metric, (v) => { t.metric = v; }),
      sel('When it', options(ctx.words.crossings), t.direction, (v) => { t.direction = v; }),
      input('Threshold', t.threshold, (v) => { t.threshold = v; }, { type: 'number', step: 'any' })];
    default: return el('span', { class: 'muted' }, 'Runs only from the Run button.');
  }
}

function conditionFields(c) {
  switch (c.type) {
    case 'occupancy': return sel('Units', options(ctx.words.occupancy_scopes), c.of, (v) => { c.of = v; });
    case 'unit_occupied': return [sel('Unit', unitOptions(), c.unit_id, (v) => { c.unit_id = Number(v); }),
      sel('Is', [['true', 'occupied'], ['false', 'vacant']], String(c.occupied), (v) => { c.occupied = v === 'true'; })];
    case 'time_window': return [input('From', c.after, (v) => { c.after = v; }, { type: 'time' }), input('To', c.before, (v) => { c.before = v; }, { type: 'time' }),
      el('span', { class: 'inline' }, DAYS.map((d) => {
        const box = el('input', { type: 'checkbox', checked: c.weekdays.includes(d), 'aria-label': d });
        box.addEventListener('change', () => { c.weekdays = DAYS.filter((x) => (x === d ? box.checked : c.weekdays.includes(x))); });
        return el('label', { class: 'inline' }, box, d);
      }))];
    case 'weather': return [sel('Metric', options(ctx.words.weather_metrics), c.metric, (v) => { c.metric = v; }),
      sel('Is', options(ctx.words.weather_compares), c.op, (v) => { c.op = v; }),
      input('Threshold', c.threshold, (v) => { c.threshold = v; }, { type: 'number', step: 'any' })];
    case 'device': return [sel('Device', deviceOptions(), c.device_id, (v) => { c.device_id = v; }), ...deviceTest(c)];
    case 'and': case 'or': return listEditor(c.conditions, CONDITIONS, conditionFields, 'condition');
    case 'not': return listEditor([c.condition], CONDITIONS, conditionFields, 'condition', (list) => { c.condition = list[0]; }, 1);
    default: return null;
  }
}

function command(a) {
  const s = a.set;
  const kind = 'on' in s ? (s.on ? 'on' : 'off') : 'brightness' in s ? 'brightness' : 'target_temperature' in s ? 'temperature' : s.locked ? 'lock' : 'unlock';
  const value = s.brightness ?? s.target_temperature ?? '';
  const sets = { on: () => ({ on: true }), off: () => ({ on: false }), brightness: () => ({ brightness: 50 }), temperature: () => ({ target_temperature: 21 }), lock: () => ({ locked: true }), unlock: () => ({ locked: false }) };
  return [sel('Command', [['on', 'Turn on'], ['off', 'Turn off'], ['brightness', 'Brightness %'], ['temperature', 'Temperature °C'], ['lock', 'Lock'], ['unlock', 'Unlock']], kind, (v) => { a.set = sets[v](); rerender(); }),
    kind === 'brightness' ? input('Percent', value, (v) => { a.set = { brightness: v }; }, { type: 'number', min: 0, max: 100 }) : null,
    kind === 'temperature' ? input('Degrees', value, (v) => { a.set = { target_temperature: v }; }, { type: 'number', min: 5, max: 90, step: 0.5 }) : null];
}

function actionFields(a) {
  switch (a.type) {
    case 'device': {
      const t = a.target;
      const targets = { device: () => ({ kind: 'device', device_id: '' }), unit: () => ({ kind: 'unit', unit_id: ctx.units[0]?.id ?? 0 }), trigger_unit: () => ({ kind: 'trigger_unit' }), group: () => ({ kind: 'group', name: ctx.groups[0]?.name ?? '' }) };
      return [sel('Target', [['device', 'A device'], ['unit', 'Every device of a unit'], ['trigger_unit', 'The unit that fired'], ['group', 'A group']], t.kind, (v) => { a.target = targets[v](); rerender(); }),
        t.kind === 'device' ? sel('Device', deviceOptions(), t.device_id, (v) => { t.device_id = v; }) : null,
        t.kind === 'unit' ? sel('Unit', unitOptions(), t.unit_id, (v) => { t.unit_id = Number(v); }) : null,
        t.kind === 'group' ? sel('Group', [['', '— choose —'], ...ctx.groups.map((g) => [g.name, g.name])], t.name, (v) => { t.name = v; }) : null,
        ...command(a)];
    }
    case 'delay': return input('Minutes', a.seconds / 60, (v) => { a.seconds = Math.round(v * 60); }, { type: 'number', min: 0.02, step: 'any' });
    case 'notify': return input('Text', a.text, (v) => { a.text = v; }, { size: 50, required: true });
    case 'message_guest': return [sel('To', [['trigger_reservation', 'The guest whose booking fired'], ...ctx.units.map((u) => [`unit:${u.id}`, `The guest in ${u.name}`])],
      a.to.kind === 'unit' ? `unit:${a.to.unit_id}` : a.to.kind, (v) => { a.to = v.startsWith('unit:') ? { kind: 'unit', unit_id: Number(v.slice(5)) } : { kind: v }; }),
    input('Text', a.text, (v) => { a.text = v; }, { size: 50, required: true })];
    case 'if': return el('div', { class: 'nested' },
      el('strong', {}, 'If all of'), listEditor(a.conditions, CONDITIONS, conditionFields, 'condition'),
      el('strong', {}, 'then'), listEditor(a.then, ACTIONS, actionFields, 'action'),
      el('strong', {}, 'else'), listEditor(a.else, ACTIONS, actionFields, 'action'));
    default: return null;
  }
}

// A list of items, each with its type, fields and a remove button, and an "Add" chooser.
function listEditor(list, kinds, fields, noun, onSet, exactly) {
  const rows = list.map((item, i) => el('li', { class: `item ${noun}`, 'data-type': item.type },
    el('span', { class: 'kind' }, kinds[item.type]?.[0] ?? item.type), ' ',
    fields(item),
    exactly ? null : el('button', { type: 'button', class: 'secondary remove', 'aria-label': `Remove ${noun}`, onclick: () => { list.splice(i, 1); rerender(); } }, '✕')));
  const add = el('select', { class: `add add-${noun}`, 'aria-label': exactly ? `Change ${noun}` : `Add ${noun}` },
    el('option', { value: '' }, exactly ? `Change ${noun}…` : `Add ${noun}…`),
    Object.entries(kinds).map(([k, [label]]) => el('option', { value: k }, label)));
  add.addEventListener('change', () => {
    if (!add.value) return;
    const made = kinds[add.value][1]();
    if (exactly) { list[0] = made; if (onSet) onSet(list); } else list.push(made);
    rerender();
  });
  return el('div', { class: 'list' }, el('ul', {}, rows), add);
}

let rerender = () => {};

function editor(scenario, done) {
  const s = scenario || { name: '', enabled: true, definition: { mode: 'single', max: 10, catch_up_minutes: 60, triggers: [], conditions: [], actions: [] } };
  const d = s.definition;
  const form = el('form', { class: 'card', id: 'scenario-form' });
  rerender = () => {
    const name = el('input', { value: s.name, required: true, maxlength: 80 });
    name.addEventListener('input', () => { s.name = name.value; });
    const enabled = el('input', { type: 'checkbox', id: 's-enabled', checked: s.enabled });
    enabled.addEventListener('change', () => { s.enabled = enabled.checked; });
    form.replaceChildren(
      el('h2', {}, scenario ? `Edit "${scenario.name}"` : 'New scenario'),
      el('div', { class: 'row' }, field('s-name', 'Name', name),
        el('label', { class: 'inline' }, enabled, ' Enabled')),
      el('h3', {}, 'When (any of these)'), el('div', { id: 'triggers' }, listEditor(d.triggers, TRIGGERS, triggerFields, 'trigger')),
      el('h3', {}, 'Only if (all of these)'), el('div', { id: 'conditions' }, listEditor(d.conditions, CONDITIONS, conditionFields, 'condition')),
      el('h3', {}, 'Do'), el('div', { id: 'actions' }, listEditor(d.actions, ACTIONS, actionFields, 'action')),
      el('h3', {}, 'Runs'),
      el('div', { class: 'row' },
        sel('Mode', options(ctx.words.run_modes), d.mode, (v) => { d.mode = v; }),
        input('Max', d.max, (v) => { d.max = v; }, { type: 'number', min: 1, max: 100 }),
        input('Catch up if missed by at most (min)', d.catch_up_minutes, (v) => { d.catch_up_minutes = v; }, { type: 'number', min: 0, max: 1440 })),
      el('div', { class: 'error', role: 'alert' }),
      el('button', { type: 'submit' }, 'Save'), ' ',
      el('button', { type: 'button', class: 'secondary', onclick: () => done() }, 'Cancel'));
  };
  rerender();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { name: s.name, enabled: s.enabled, definition: d };
    const saved = await submitting(form, () => (scenario ? api('PUT', `/admin/scenarios/${scenario.id}`, body) : api('POST', '/admin/scenarios', body)));
    if (saved) done();
  });
  return form;
}

// "actions[2].then[0]" → "Action 3 › then 1": where in the scenario, as the form shows it.
const PLACES = { triggers: 'Trigger', conditions: 'Condition', actions: 'Action' };
function place(path) {
  return (path || '').split('.').map((part, i) => {
    const m = part.match(/^(\w+)\[(\d+)\]$/);
    if (!m) return part;
    const n = Number(m[2]) + 1;
    return i === 0 && PLACES[m[1]] ? `${PLACES[m[1]]} ${n}` : `${m[1].replace(/_/g, ' ')} ${n}`;
  }).join(' › ');
}

const STATUS_WORDS = { running: 'running', waiting: 'waiting', done: 'done', failed: 'failed', skipped: 'skipped', stopped: 'stopped' };

function history(runs) {
  return el('div', { class: 'history' }, runs.length === 0 ? el('p', { class: 'muted' }, 'No runs yet.')
    : runs.map((r) => el('details', { class: `run ${r.status}`, 'data-run': r.id, open: r === runs[0] },
      el('summary', {}, `${when(r.started_at) || '—'} · ${STATUS_WORDS[r.status] || r.status} · ${r.reason}`),
      el('table', { class: 'trace' }, el('thead', {}, el('tr', {}, ['Step', 'What', 'Result', 'Took'].map((h) => el('th', {}, h)))),
        el('tbody', {}, r.trace.map((s) => el('tr', { class: s.ok ? 'ok' : 'bad' },
          el('td', {}, s.path ? place(s.path) : s.kind.replace(/^./, (c) => c.toUpperCase())),
          el('td', {}, s.what), el('td', {}, s.result), el('td', { class: 'muted' }, `${s.ms} ms`))))))));
}

async function skyCard() {
  const [w, sun] = await Promise.all([api('GET', '/weather'), api('GET', '/sun').catch((e) => ({ error: e.message }))]);
  const c = w.forecast?.current;
  const t = (iso) => (iso ? iso.slice(11, 16) : '—');
  return el('div', { class: 'card', id: 'sky' }, el('h2', {}, 'What the scenarios see'),
    el('p', {}, c ? `Cloud cover ${c.cloud_cover ?? '?'} %, ${c.temperature == null ? '?' : Math.round(c.temperature * 10) / 10} °C` : 'No forecast yet (set the property\'s location).',
      w.fetched_at ? el('span', { class: w.stale ? 'error' : 'muted' }, ` · forecast ${Math.round(w.age_seconds / 60)} min old${w.stale ? ' (stale)' : ''}`) : null,
      w.error ? el('span', { class: 'error' }, ` · ${w.error}`) : null),
    el('p', {}, sun.error ? sun.error : sun.polar ? `Polar ${sun.polar} today` : `Sunrise ${t(sun.sunrise)}, sunset ${t(sun.sunset)} (${sun.time_zone})`),
    el('p', { class: 'muted' }, w.attribution));
}

function groupsCard(done) {
  const name = el('input', { required: true, maxlength: 60, list: 'group-names', placeholder: 'Outside lights' });
  const boxes = ctx.devices.map((d) => ({ d, box: el('input', { type: 'checkbox', value: d.id, 'aria-label': d.name }) }));
  const pick = () => {
    const g = ctx.groups.find((x) => x.name === name.value);
    for (const { d, box } of boxes) box.checked = Boolean(g && g.device_ids.includes(d.id));
  };
  name.addEventListener('input', pick);
  const form = el('form', { class: 'card', id: 'groups' }, el('h2', {}, 'Device groups'),
    el('p', { class: 'muted' }, ctx.groups.map((g) => `${g.name} (${g.device_ids.length})`).join(' · ') || 'No groups yet.'),
    el('datalist', { id: 'group-names' }, ctx.groups.map((g) => el('option', { value: g.name }))),
    field('g-name', 'Group', name),
    el('div', { class: 'row' }, boxes.map(({ d, box }) => el('label', { class: 'inline' }, box, ` ${d.name}`))),
    el('div', { class: 'error', role: 'alert' }), el('button', { type: 'submit' }, 'Save group'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const ids = boxes.filter((b) => b.box.checked).map((b) => b.d.id);
    if (await submitting(form, () => api('PUT', `/admin/device-groups/${encodeURIComponent(name.value)}`, { device_ids: ids }))) done();
  });
  return form;
}

export async function scenariosView() {
  const root = el('div', { id: 'scenarios' });
  // What the detail card shows after a redraw: a scenario's history, so a run's result
  // and the list's "last run" arrive together.
  const render = async (historyOf = null) => {
    const [list, devices, units, groups, words] = await Promise.all([api('GET', '/admin/scenarios'), api('GET', '/devices'), api('GET', '/rooms'), api('GET', '/admin/device-groups'), api('GET', '/admin/scenarios/vocabulary')]);
    ctx = { devices, units, groups, words };
    const detail = el('div', { id: 'scenario-detail' });
    const show = (card) => {
      detail.replaceChildren(card);
      detail.scrollIntoView({ behavior: 'smooth', block: 'start' });
    };
    const histories = new Map();
    const rows = list.map((s) => {
      const toggle = el('input', { type: 'checkbox', checked: s.enabled, 'aria-label': `Enable ${s.name}` });
      toggle.addEventListener('change', async () => {
        await api('PUT', `/admin/scenarios/${s.id}`, { name: s.name, enabled: toggle.checked, definition: s.definition });
        render();
      });
      const showHistory = async () => show(el('div', { class: 'card' }, el('h2', {}, `History: ${s.name}`), history(await api('GET', `/admin/scenarios/${s.id}/runs`))));
      histories.set(s.id, showHistory);
      const run = el('button', { type: 'button', class: 'run-now', onclick: async () => {
        run.disabled = true;
        run.textContent = 'Running…';
        try {
          await api('POST', `/admin/scenarios/${s.id}/run`, {});
          // The run answers once started; its first steps take a moment.
          await new Promise((r) => setTimeout(r, 400));
          await render(s.id);
        } catch (e) {
          run.disabled = false;
          run.textContent = 'Run';
          alert(e.message);
        }
      } }, 'Run');
      return el('tr', { 'data-scenario': s.name },
        el('td', {}, toggle), el('td', {}, el('strong', {}, s.name), el('div', { class: 'muted' }, s.summary.join('; '))),
        el('td', {}, s.next_at ? when(s.next_at) : '—'),
        el('td', { class: 'last-run' }, s.last_run ? `${STATUS_WORDS[s.last_run.status] || s.last_run.status}, ${when(s.last_run.started_at)}` : 'never'),
        el('td', {}, run, ' ',
          el('button', { type: 'button', class: 'secondary history-button', onclick: showHistory }, 'History'), ' ',
          el('button', { type: 'button', class: 'secondary', onclick: () => {
            show(editor(structuredClone(s), render));
            detail.querySelector('#s-name')?.focus({ preventScroll: true });
          } }, 'Edit'), ' ',
          el('button', { type: 'button', class: 'secondary', onclick: async () => {
            if (confirm(`Delete "${s.name}" and its history?`)) { await api('DELETE', `/admin/scenarios/${s.id}`); render(); }
          } }, 'Delete')));
    });
    root.replaceChildren(await skyCard(),
      el('div', { class: 'card' }, el('h2', {}, 'Scenarios'),
        el('table', {}, el('thead', {}, el('tr', {}, ['On', 'Scenario', 'Next', 'Last run', ''].map((h) => el('th', {}, h)))), el('tbody', {}, rows)),
        el('button', { type: 'button', id: 'new-scenario', onclick: () => {
          show(editor(null, render));
          detail.querySelector('#s-name')?.focus({ preventScroll: true });
        } }, 'New scenario')),
      detail, groupsCard(render));
    if (historyOf != null && histories.has(historyOf)) await histories.get(historyOf)();
  };
  await render();
  return root;
}
