// System (APP-7, APP-8): the running version and its slot, a signed update bundle taken by
// upload or from an address, its progress, the restart into it, what happened to earlier
// updates (kept, refused, rolled back), and the box's status light, button and relays.
import { api, el, busy, ApiError } from '/common/api.js';
import { field, when } from '/common/forms.js';

const PHASES = {
  idle: 'Nothing in progress.',
  receiving: 'Receiving the bundle…',
  installing: 'Checking and installing…',
  installed: 'Installed. Restart the hub to start the new version.',
  failed: 'The last bundle was not installed.',
  rebooting: 'Restarting…',
};

const SIGNALS = {
  booting: 'blinking slowly: starting',
  ready: 'steady: ready',
  no_network: 'two short blinks: no network',
  updating: 'blinking fast: updating',
  fault: 'three short blinks: a fault (see the hub\'s log)',
};

const EVENTS = {
  installed: 'Installed',
  running: 'Started and kept',
  rolled_back: 'Rolled back',
  refused: 'Refused',
};

let polling = 0;

export async function systemView() {
  const [status, gpio] = await Promise.all([api('GET', '/admin/updates'), api('GET', '/admin/gpio')]);
  const root = el('div', { id: 'system' });
  root.append(versionCard(status), ...(status.enabled ? [updateCard(status, root)] : []),
    historyCard(status), gpioCard(gpio));
  follow(status, root);
  return root;
}

// While something is under way, the page follows it on its own.
function follow(status, root) {
  const ticket = ++polling;
  if (!['receiving', 'installing', 'rebooting'].includes(status.operation.phase)) return;
  setTimeout(async () => {
    if (ticket !== polling || !root.isConnected) return;
    try {
      root.replaceWith(await systemView());
    } catch {
      // The hub is restarting: try again shortly.
      follow(status, root);
    }
  }, 1500);
}

function versionCard(s) {
  const card = el('div', { class: 'card', id: 'system-version' }, el('h2', {}, 'Version'));
  card.append(el('p', {}, 'Hotel Hub ', el('strong', { id: 'hub-version' }, s.hub_version),
    s.system_version ? [' · system ', el('strong', { id: 'system-image-version' }, s.system_version)] : null));
  if (!s.enabled) {
    card.append(el('p', { class: 'muted' }, 'This hub runs as a program on its computer, not as the Hotel Hub box, ' +
      'so it is updated with that computer\'s own tools.'));
    return card;
  }
  if (s.problem) card.append(el('p', { class: 'error' }, `The update service does not answer: ${s.problem}`));
  const rows = s.slots.map((slot) => el('tr', { 'data-slot': slot.bootname },
    el('td', {}, `Slot ${slot.bootname}`, slot.bootname === s.booted ? el('span', { class: 'badge online' }, 'running') : null),
    el('td', {}, slot.version || (slot.bootname === s.booted ? s.system_version : '') || '—'),
    el('td', {}, slot.boot_status === 'good' ? 'starts' : 'will not start'),
    el('td', {}, slot.installed_at ? when(slot.installed_at) : '')));
  card.append(el('div', { class: 'table-wrap' }, el('table', {},
    el('thead', {}, el('tr', {}, el('th', {}, 'Slot'), el('th', {}, 'Version'), el('th', {}, 'At power-on'), el('th', {}, 'Installed'))),
    el('tbody', {}, rows))));
  if (s.next_boot && s.next_boot !== s.booted) {
    card.append(el('p', { class: 'notice' }, `The next start uses slot ${s.next_boot}.`));
  }
  return card;
}

function updateCard(s, root) {
  const op = s.operation;
  const error = el('div', { class: 'error', role: 'alert' });
  const bar = el('progress', { max: 100, value: op.phase === 'installing' || op.phase === 'installed' ? op.percent : 0, id: 'update-progress' });
  const said = el('p', { id: 'update-phase', role: 'status', class: op.phase === 'failed' ? 'error' : 'notice' },
    op.message || PHASES[op.phase]);
  const file = el('input', { type: 'file', accept: '.raucb', id: 'update-file' });
  const url = el('input', { type: 'url', id: 'update-url', placeholder: 'https://…/hotel-hub-2.raucb' });
  const busyNow = ['receiving', 'installing', 'rebooting'].includes(op.phase);
  const card = el('div', { class: 'card', id: 'system-update' }, el('h2', {}, 'Update'),
    el('p', { class: 'muted' }, 'An update is a signed bundle from Hotel Hub. It goes into the slot that is not running; ' +
      'the hub keeps it only once it starts healthily, and otherwise goes back to this version by itself.'),
    said, bar, error);
  const upload = el('button', { type: 'button', id: 'update-upload', disabled: busyNow }, 'Upload and install');
  upload.addEventListener('click', async () => {
    error.textContent = '';
    const chosen = file.files[0];
    if (!chosen) { error.textContent = 'Choose the bundle file (.raucb) first.'; return; }
    upload.disabled = true;
    try {
      await send(chosen, (sent) => { bar.value = sent; said.textContent = `Uploading… ${sent}%`; });
      root.replaceWith(await systemView());
    } catch (e) {
      error.textContent = e.message;
      upload.disabled = false;
    }
  });
  const fetchIt = el('button', { type: 'button', class: 'secondary', id: 'update-fetch', disabled: busyNow, onclick: async (event) => {
    const started = await busy(event.target, error, () => api('POST', '/admin/updates/url', { url: url.value.trim() }));
    if (started) root.replaceWith(await systemView());
  } }, 'Download and install');
  card.append(field('update-file', 'Bundle file', file), el('div', { class: 'actions' }, upload),
    field('update-url', 'Or its address', url), el('div', { class: 'actions' }, fetchIt));
  if (s.reboot_needed || op.phase === 'installed') {
    card.append(el('div', { class: 'actions' }, el('button', { type: 'button', id: 'update-reboot', onclick: async (event) => {
      if (!confirm('Restart the hub now? Chat, devices and the guest pages are away for a minute or two.')) return;
      const done = await busy(event.target, error, () => api('POST', '/admin/updates/reboot'));
      if (done) root.replaceWith(await systemView());
    } }, 'Restart now')));
  }
  return card;
}

// The bundle as the raw body, with the upload's own progress (fetch reports none).
function send(blob, progress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/admin/updates/bundle');
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) progress(Math.round((100 * e.loaded) / e.total)); };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'The upload broke off. Check the connection and try again.'));
    xhr.onload = () => {
      if (xhr.status < 300) return resolve();
      let message = xhr.statusText;
      try { message = JSON.parse(xhr.responseText).error.message; } catch { /* not the hub's JSON */ }
      if (xhr.status === 413) message = 'The file is larger than the hub takes.';
      reject(new ApiError(xhr.status, 'upload', message));
    };
    xhr.send(blob);
  });
}

function historyCard(s) {
  const card = el('div', { class: 'card', id: 'system-history' }, el('h2', {}, 'Update history'));
  if (!s.history.length) {
    card.append(el('p', { class: 'muted' }, 'No update has been installed on this hub yet.'));
    return card;
  }
  card.append(el('ul', { class: 'history' }, s.history.map((h) => el('li', { 'data-kind': h.kind },
    el('strong', { class: h.kind === 'rolled_back' || h.kind === 'refused' ? 'error' : '' }, EVENTS[h.kind] || h.kind),
    h.version ? ` · version ${h.version}` : '', ` · ${when(h.at)}`, el('br'), el('span', { class: 'muted' }, h.detail)))));
  return card;
}

function gpioCard(g) {
  const card = el('div', { class: 'card', id: 'system-gpio' }, el('h2', {}, 'Status light, button and relays'));
  if (g.backend === 'off') {
    card.append(el('p', { class: 'muted' }, 'This hub has no status light, button or relays set up.'));
    return card;
  }
  card.append(el('p', {}, 'Status light: ', el('strong', { id: 'gpio-signal' }, SIGNALS[g.signal] || g.signal)));
  if (g.button != null) {
    card.append(el('p', { class: 'muted' }, 'The button: a short press shows the set-up code on the hub\'s screen; ' +
      'holding it for five seconds resets the network settings.'));
  }
  if (g.last_press) card.append(el('p', {}, `Last press: ${g.last_press.press} · ${when(g.last_press.at)}`));
  if (g.relays.length) {
    card.append(el('p', {}, 'Relays (each is also a device under Devices):'),
      el('ul', {}, g.relays.map((r) => el('li', {}, `${r.name}: ${r.on ? 'on' : 'off'}`))));
  }
  if (g.backend === 'simulated') {
    const error = el('div', { class: 'error', role: 'alert' });
    card.append(el('p', { class: 'muted' }, 'These lines are simulated (the demo): press the button here.'), error,
      el('div', { class: 'actions' }, ...['short', 'long'].map((press) => el('button', { type: 'button', class: 'secondary',
        id: `gpio-press-${press}`, onclick: async (event) => {
          const done = await busy(event.target, error, () => api('POST', '/admin/gpio/button', { press }));
          if (done) card.replaceWith(gpioCard(done));
        } }, press === 'short' ? 'Short press' : 'Long press'))));
  }
  return card;
}
