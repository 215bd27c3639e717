// Smart devices (DEV-2, DEV-3): live cards with manual control for every member of staff;
// for admins, per brand: grant access, discover on the LAN, import, add by hand, and
// edit or delete a card. Cards change only when the hub says so (server-sent events).
import { api, busy, el, submitting } from '/common/api.js';
import { deleteButton } from '/common/forms.js';

// Kinds and brands with their words and forms come from the hub (GET /devices/vocabulary).
let vocab = { kinds: [], brands: [] };
const kindName = (k) => (vocab.kinds.find((x) => x.kind === k) || {}).label || k;
const kindOptions = (selected) => vocab.kinds.map((k) => el('option', { value: k.kind, selected: k.kind === selected }, k.label));

let events = null;

export async function devicesView(me) {
  const admin = me.role === 'owner' || me.role === 'admin';
  const [devices, rooms, words] = await Promise.all([api('GET', '/devices'), api('GET', '/rooms'), api('GET', '/devices/vocabulary')]);
  vocab = words;
  const cards = el('div', { class: 'device-grid', id: 'device-cards' });
  const byId = new Map();
  const roomName = (id) => (rooms.find((r) => r.id === id) || {}).name;
  const put = (d) => {
    const card = deviceCard(d, { admin, rooms, roomName });
    const old = byId.get(d.id);
    if (old && old.isConnected) old.replaceWith(card); else cards.append(card);
    byId.set(d.id, card);
    empty.hidden = byId.size > 0;
  };
  const empty = el('p', { class: 'muted', id: 'no-devices' }, admin
    ? 'No devices yet: grant access for a brand below, then discover and import.'
    : 'No devices yet: an admin adds them.');
  devices.forEach(put);
  empty.hidden = devices.length > 0;

  // One live stream per page: a newer view replaces the older one's.
  if (events) events.close();
  events = new EventSource('/api/v1/devices/events');
  events.addEventListener('device', (e) => put(JSON.parse(e.data)));
  events.addEventListener('removed', (e) => {
    const card = byId.get(e.data);
    if (card) card.remove();
    byId.delete(e.data);
    empty.hidden = byId.size > 0;
  });
  events.addEventListener('reload', async () => (await api('GET', '/devices')).forEach(put));

  const root = el('div', {}, el('div', { class: 'card' }, el('h2', {}, 'Devices'), empty, cards));
  if (admin) {
    const granted = await api('GET', '/admin/device-grants');
    for (const info of vocab.brands.filter((b) => b.grant !== 'broker')) {
      root.append(brandCard(info.brand, info, granted.includes(info.brand), rooms));
    }
    root.append(el('div', { class: 'card muted' }, el('h2', {}, 'Tasmota, Zigbee2MQTT, Shelly and Home Assistant'),
      el('p', {}, 'These talk to the hub\u2019s MQTT broker: make them a sign-in under \u201cMQTT sign-in\u201d. ',
        'Every device here is also published for Home Assistant (MQTT discovery) under hub/devices/<id>/.')));
  }
  return root;
}

function describe(d) {
  const s = d.state || {};
  const parts = [];
  if (s.on !== undefined) parts.push(s.on ? 'On' : 'Off');
  if (s.brightness !== undefined) parts.push(`${s.brightness}\u202f%`);
  if (s.target_temperature !== undefined) parts.push(`set ${s.target_temperature}\u202f\u00b0C`);
  if (s.current_temperature !== undefined) parts.push(`now ${s.current_temperature}\u202f\u00b0C`);
  if (s.humidity !== undefined) parts.push(`${s.humidity}\u202f% humidity`);
  if (s.locked !== undefined) parts.push(s.locked ? 'Locked' : 'Unlocked');
  if (s.power_w !== undefined) parts.push(`${s.power_w}\u202fW`);
  return parts.join(' \u00b7 ') || 'No state yet';
}

function deviceCard(d, { admin, rooms, roomName }) {
  const caps = new Set(d.capabilities);
  const s = d.state || {};
  const error = el('p', { class: 'error', role: 'alert' });
  const send = (body, button) => busy(button, error, () => api('POST', `/devices/${d.id}/command`, body));
  const controls = el('div', { class: 'controls' });
  if (caps.has('on_off')) {
    const b = el('button', { class: 'power', type: 'button' }, s.on ? 'Turn off' : 'Turn on');
    b.addEventListener('click', () => send({ on: !s.on }, b));
    controls.append(b);
  }
  if (caps.has('brightness')) {
    const r = el('input', { type: 'range', min: 1, max: 100, value: s.brightness ?? 50, class: 'brightness', 'aria-label': 'Brightness' });
    r.addEventListener('change', () => send({ brightness: Number(r.value) }, r));
    controls.append(r);
  }
  if (caps.has('target_temperature')) {
    const t = el('input', { type: 'number', min: 5, max: 90, step: 0.5, value: s.target_temperature ?? 21, class: 'target', 'aria-label': 'Target temperature' });
    const b = el('button', { type: 'button' }, 'Set \u00b0C');
    b.addEventListener('click', () => send({ target_temperature: Number(t.value) }, b));
    controls.append(t, b);
  }
  if (caps.has('lock')) {
    const b = el('button', { type: 'button' }, s.locked ? 'Unlock' : 'Lock');
    b.addEventListener('click', () => send({ locked: !s.locked }, b));
    controls.append(b);
  }
  const status = d.online
    ? el('span', { class: 'badge online' }, 'online')
    : el('span', { class: 'badge offline', title: d.reason || '' }, d.reason ? `offline: ${d.reason}` : 'offline');
  const card = el('div', { class: 'device', 'data-id': d.id, 'data-native': d.native_id },
    el('div', { class: 'device-head' }, el('strong', { class: 'name' }, d.name), status),
    el('p', { class: 'muted' }, `${kindName(d.kind)} \u00b7 ${d.brand}${d.room_id ? ` \u00b7 room ${roomName(d.room_id) || ''}` : ''}`),
    el('p', { class: 'state' }, describe(d)),
    controls, error);
  if (admin) card.append(editForm(d, rooms));
  return card;
}

function roomSelect(rooms, selected, id) {
  return el('select', { id, 'aria-label': 'Room' },
    el('option', { value: '' }, 'No room'),
    ...rooms.map((r) => el('option', { value: r.id, selected: r.id === selected }, r.name)));
}

function editForm(d, rooms) {
  const name = el('input', { value: d.name, maxlength: 80, required: true, 'aria-label': 'Name' });
  const room = roomSelect(rooms, d.room_id);
  const form = el('form', { class: 'edit', hidden: true },
    el('div', { class: 'row' }, name, room, el('button', { type: 'submit' }, 'Save')),
    el('div', { class: 'error', role: 'alert' }));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    await submitting(form, () => api('PATCH', `/admin/devices/${d.id}`,
      { name: name.value, room_id: room.value ? Number(room.value) : null }));
  });
  const edit = el('button', { type: 'button', class: 'secondary' }, 'Edit');
  edit.addEventListener('click', () => { form.hidden = !form.hidden; });
  // No refresh after it: the card goes when the hub's event stream says the device went.
  const remove = deleteButton('Delete', `Delete ${d.name}? It disappears from the hub and from Home Assistant.`, `/admin/devices/${d.id}`);
  return el('div', { class: 'admin-tools' }, el('div', { class: 'row' }, edit, remove), form);
}

function tokenGrant(brand, granted) {
  const token = el('input', { type: 'password', autocomplete: 'off', required: true, 'aria-label': 'Token' });
  const base = el('input', { type: 'url', placeholder: 'https://api.smartthings.com', 'aria-label': 'API address' });
  const form = el('form', { class: 'grant' },
    el('p', { class: granted ? 'notice' : 'muted' }, granted
      ? 'Access granted. Enter a new token to replace it.'
      : 'Grant access: a SmartThings token (personal access tokens made since 30 Dec 2024 last 24 hours).'),
    el('div', { class: 'row' }, el('label', {}, 'Token', token), el('label', {}, 'API address (leave empty)', base)),
    el('div', { class: 'error', role: 'alert' }), el('button', { type: 'submit' }, 'Grant access'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const grant = base.value ? { token: token.value, base_url: base.value } : { token: token.value };
    const done = await submitting(form, () => api('PUT', `/admin/device-grants/${brand}`, grant));
    if (done !== undefined) {
      form.reset();
      form.querySelector('p').textContent = 'Access granted.';
      form.querySelector('p').className = 'notice';
    }
  });
  return form;
}

function brandCard(brand, info, granted, rooms) {
  const card = el('div', { class: 'card brand', id: `brand-${brand}` }, el('h2', {}, info.label));
  if (info.grant === 'token') {
    card.append(tokenGrant(brand, granted), discoverPanel(brand, rooms, info.discover_label));
    return card;
  }
  const tuya = brand === 'tuya';
  const keys = el('textarea', { rows: 3, placeholder: tuya ? 'one per line: <device id> <key>, or paste tinytuya\u2019s devices.json'
    : 'one per line: <device id> <key>', 'aria-label': `${info.label} keys` });
  const grantForm = el('form', { class: 'grant' },
    el('p', { class: granted ? 'notice' : 'muted' }, granted
      ? 'Access granted. Paste keys again to replace them.'
      : tuya ? 'Grant access: paste each device\u2019s id and key, or the devices.json tinytuya\u2019s wizard writes (then each device\u2019s name, kind and data points come with it).'
        : 'Grant access: paste each device\u2019s id and key (from the brand\u2019s app or developer platform).'),
    keys, el('div', { class: 'error', role: 'alert' }), el('button', { type: 'submit' }, 'Grant access'));
  grantForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    // tinytuya's devices.json is a JSON list; anything else is "<id> <key>" lines.
    let grant = null;
    let count = 0;
    if (tuya && keys.value.trim().startsWith('[')) {
      try {
        grant = JSON.parse(keys.value);
        count = grant.length;
      } catch {
        grantForm.querySelector('.error').textContent = 'This is not the devices.json tinytuya writes: it does not read as JSON.';
        return;
      }
    } else {
      const pairs = {};
      for (const line of keys.value.split('\n')) {
        const [id, key] = line.trim().split(/\s+/);
        if (id && key) pairs[id] = key;
      }
      grant = { keys: pairs };
      count = Object.keys(pairs).length;
    }
    const done = await submitting(grantForm, () => api('PUT', `/admin/device-grants/${brand}`, grant));
    if (done !== undefined) {
      keys.value = '';
      grantForm.querySelector('p').textContent = `Access granted for ${count} device(s).`;
      grantForm.querySelector('p').className = 'notice';
    }
  });
  card.append(grantForm);
  if (info.discovery) card.append(discoverPanel(brand, rooms, info.discover_label));
  card.append(byHandForm(brand, info, rooms));
  return card;
}

function discoverPanel(brand, rooms, label) {
  const results = el('div', { class: 'found' });
  const progress = el('progress', { max: 100, value: 0, hidden: true });
  const button = el('button', { type: 'button', class: 'discover' }, label);
  const error = el('p', { class: 'error', role: 'alert' });
  button.addEventListener('click', async () => {
    progress.hidden = false;
    progress.value = 0;
    const started = Date.now();
    const timer = setInterval(() => { progress.value = Math.min(95, (Date.now() - started) / 40); }, 100);
    const found = await busy(button, error, () => api('POST', '/admin/devices/discover', { brand }));
    clearInterval(timer);
    progress.value = 100;
    progress.hidden = true;
    if (found) results.replaceChildren(foundTable(brand, found, rooms));
  });
  return el('div', { class: 'discover-panel' }, el('div', { class: 'row' }, button, progress), error, results);
}

// What a found device is, when its answer says so: SmartThings names its kind, eWeLink's
// mDNS "type" tells a light from a plug. Tuya and miIO answers do not: staff choose, rather
// than a guess that calls a lamp a plug.
function suggestedKind(f) {
  if (f.settings.kind) return f.settings.kind;
  const type = String(f.settings.type || '');
  if (/light/.test(type)) return 'light';
  if (/plug|strip|switch/.test(type)) return 'switch';
  return '';
}

function foundTable(brand, found, rooms) {
  if (found.length === 0) return el('p', { class: 'muted' }, 'Nothing answered. Are the devices powered and on this network?');
  const brandName = (vocab.brands.find((b) => b.brand === brand) || {}).label || brand;
  const rows = found.map((f) => {
    const pick = el('input', { type: 'checkbox', disabled: f.imported || !f.has_key, 'aria-label': `Import ${f.native_id}` });
    const suggested = suggestedKind(f);
    const kind = el('select', { 'aria-label': `Kind of ${f.native_id}` },
      suggested ? null : el('option', { value: '', selected: true }, 'Choose…'), ...kindOptions(suggested));
    const name = el('input', { value: f.settings.label || `${brandName} ${f.native_id.slice(-4)}`, maxlength: 80,
      'aria-label': `Name of ${f.native_id}` });
    const room = roomSelect(rooms);
    const note = f.imported ? 'already added' : f.has_key ? '' : 'no key: grant access first';
    const tr = el('tr', { 'data-native': f.native_id },
      el('td', {}, pick), el('td', {}, el('code', {}, f.native_id), el('div', { class: 'muted' }, f.address, f.settings.version ? ` \u00b7 v${f.settings.version}` : '')),
      el('td', {}, kind), el('td', {}, name), el('td', {}, room), el('td', { class: 'muted' }, note));
    return { f, pick, kind, name, room, tr };
  });
  const error = el('p', { class: 'error', role: 'alert' });
  const importButton = el('button', { type: 'button', class: 'import' }, 'Import selected');
  importButton.addEventListener('click', async () => {
    const items = rows.filter((r) => r.pick.checked).map((r) => ({
      native_id: r.f.native_id, address: r.f.address, settings: r.f.settings,
      kind: r.kind.value, name: r.name.value, room_id: r.room.value ? Number(r.room.value) : null,
    }));
    if (items.length === 0) { error.textContent = 'Tick the devices to import.'; return; }
    if (items.some((i) => !i.kind)) { error.textContent = 'Choose what each ticked device is (a light, a plug, …).'; return; }
    if (await busy(importButton, error, () => api('POST', '/admin/devices/import', { brand, items })) === undefined) return;
    for (const r of rows.filter((x) => x.pick.checked)) {
      r.pick.checked = false;
      r.pick.disabled = true;
      r.tr.lastChild.textContent = 'added';
    }
  });
  const head = el('thead', {}, el('tr', {}, ['Import', 'Device', 'Kind', 'Name', 'Room', ''].map((h) => el('th', {}, h))));
  return el('div', {}, el('table', { class: 'found-table' }, head, el('tbody', {}, rows.map((r) => r.tr))), error, importButton);
}

function byHandForm(brand, info, rooms) {
  const f = {
    name: el('input', { required: true, maxlength: 80 }),
    kind: el('select', {}, ...kindOptions()),
    room: roomSelect(rooms),
    native: el('input', { required: true, maxlength: 128 }),
    address: el('input', { required: true, placeholder: '192.168.1.50', maxlength: 128 }),
    key: el('input', { required: !info.key_optional, maxlength: 256, autocomplete: 'off' }),
    version: el('select', {}, ...info.versions.map((v) => el('option', { value: v }, v))),
  };
  const field = (label, input) => el('label', {}, label, input);
  const form = el('form', { class: 'by-hand' },
    el('h3', {}, 'Add by hand'),
    el('div', { class: 'row' }, field('Name', f.name), field('Kind', f.kind), field('Room', f.room)),
    el('div', { class: 'row' }, field(info.id_label, f.native), field('IP address', f.address), field(info.key_label, f.key),
      info.versions.length ? field('Protocol', f.version) : ''),
    el('div', { class: 'error', role: 'alert' }), el('button', { type: 'submit' }, 'Add'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const added = await submitting(form, () => api('POST', '/admin/devices', {
      brand, kind: f.kind.value, name: f.name.value, room_id: f.room.value ? Number(f.room.value) : null,
      native_id: f.native.value, address: f.address.value, secret: f.key.value,
      settings: info.versions.length ? { version: f.version.value } : {},
    }));
    if (added) form.reset();
  });
  return el('details', {}, el('summary', {}, 'Add by hand'), form);
}
