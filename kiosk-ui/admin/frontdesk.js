// The Front Desk's kiosks (DESK-1): pair a lobby tablet with a one-time code, see when each
// kiosk was last seen, revoke one (it is cut off at once); how long a call from a kiosk
// rings before it is missed (DESK-3).
import { api, el, submitting } from '/common/api.js';
import { field, input, when } from '/common/forms.js';

export async function frontDeskView() {
  const root = el('div', { id: 'front-desk' });
  // Where the tablet opens the kiosk: the hub's HTTPS on the LAN (the camera and
  // microphone of a call need a secure page).
  const kioskAddress = (await api('GET', '/admin/kiosks/addresses').catch(() => ({ addresses: [] }))).addresses[0]
    || `${location.origin}/kiosk/`;
  const render = async (shown = null, edit = null) => {
    const kiosks = await api('GET', '/admin/kiosks');
    const name = input('', { required: true, maxlength: 60, placeholder: 'Lobby' });
    const form = el('form', { class: 'card', id: 'kiosk-pairing' }, el('h2', {}, 'Pair a lobby tablet'),
      el('p', { class: 'muted' }, 'A tablet in the lobby shows the time, the weather and the Wi-Fi and guest page codes, and lets guests write to reception. Name it, make a code, then open the address below on the tablet and type the code within ten minutes.'),
      el('div', { class: 'row' }, field('kiosk-name', 'Where it stands', name), el('button', { type: 'submit' }, 'Make a pairing code')),
      el('div', { class: 'error', role: 'alert' }),
      shown ? el('div', { class: 'notice', id: 'pairing-code' },
        el('p', {}, `Code for ${shown.name} (works once, for ten minutes):`),
        el('p', { class: 'pairing-code' }, shown.code),
        el('p', {}, 'On the tablet, open ', el('strong', {}, kioskAddress),
          '. Calls need the tablet\'s camera and microphone, which a browser opens only on a secure (https://) page: first, on the tablet, ',
          el('a', { href: '/ca.crt' }, 'download the hub\'s certificate'), ' (it is at /ca.crt on the same address) and install it as a trusted certificate (Android: Settings → Security → Encryption & credentials → Install a certificate → CA certificate; iPad: open the file, then Settings → General → About → Certificate Trust Settings).')) : null);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const code = await submitting(form, () => api('POST', '/admin/kiosks/pairing', { name: name.value }));
      if (code) render(code);
    });
    const rows = kiosks.map((k) => el('tr', { 'data-kiosk': k.name },
      el('td', {}, k.name), el('td', { class: 'muted' }, `paired ${when(k.paired_at)}`),
      el('td', { class: 'muted' }, k.last_seen_at ? `last seen ${when(k.last_seen_at)}` : 'not seen yet'),
      el('td', {}, el('button', { type: 'button', class: 'secondary', onclick: () => render(null, k.id) }, 'Screen'),
        ' ', el('button', { type: 'button', class: 'danger', onclick: async () => {
          if (!confirm(`Revoke ${k.name}? It is refused from now on; its screen goes back to pairing within a minute, and it must be paired again.`)) return;
          await api('DELETE', `/admin/kiosks/${k.id}`).catch((e) => alert(e.message));
          render();
        } }, 'Revoke'))));
    const editing = kiosks.find((k) => k.id === edit);
    // replaceChildren would show a missing card as the text "null".
    root.replaceChildren(...[form, el('div', { class: 'card' }, el('h2', {}, `Kiosks (${kiosks.length})`),
      kiosks.length ? el('table', {}, el('tbody', {}, rows)) : el('p', { class: 'muted' }, 'No tablet is paired yet.')),
      editing ? screenForm(editing, () => render()) : null,
      await callSettings(), await scannedDocuments()].filter(Boolean));
  };
  await render();
  return root;
}

// How long a guest's call rings on every open Team Messenger before it is missed (the guest
// is then offered the text chat, and the team is told).
async function callSettings() {
  const [settings, scans] = await Promise.all([api('GET', '/admin/calls/settings'), api('GET', '/admin/scans/settings')]);
  const ring = input(settings.ring_secs, { type: 'number', min: 10, max: 300, required: true });
  const keep = input(scans.retention_days, { type: 'number', min: 1, max: 3650, required: true });
  const saved = el('span', { class: 'muted', role: 'status' });
  const form = el('form', { class: 'card', id: 'call-settings' }, el('h2', {}, 'Calls from the lobby'),
    el('p', { class: 'muted' }, 'A guest calls reception from the kiosk by video or voice; every open Team Messenger rings, and the first to answer takes the call. Nobody answering within the ring time makes it a missed call.'),
    el('div', { class: 'row' }, field('ring-secs', 'Ring for (seconds)', ring),
      field('scan-days', 'Keep scanned documents (days after check-out)', keep), el('button', { type: 'submit' }, 'Save'), saved),
    el('p', { class: 'muted' }, 'During a call, the receptionist can ask the guest to hold a passport or ID card to the kiosk\'s camera. The picture is kept encrypted on the hub, shown only to owners and admins (every view is recorded), and deleted automatically this many days after the stay\'s check-out. Local law decides how long you may keep it.'),
    el('div', { class: 'error', role: 'alert' }));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    saved.textContent = '';
    const done = await submitting(form, () => Promise.all([
      api('PUT', '/admin/calls/settings', { ring_secs: Number(ring.value) }),
      api('PUT', '/admin/scans/settings', { retention_days: Number(keep.value) })]));
    if (done) saved.textContent = 'Saved';
  });
  return form;
}

// Scanned documents (DESK-5): who took each, when it goes, who has looked at it.
async function scannedDocuments() {
  const scans = await api('GET', '/scans').catch(() => null);
  if (!scans) return null;
  const rows = scans.map((s) => el('tr', { 'data-scan': s.id },
    el('td', {}, when(s.taken_at)), el('td', {}, `${s.kiosk_name} · asked by ${s.asked_by_name}`),
    el('td', { class: 'muted' }, s.reservation_id ? `reservation #${s.reservation_id}` : 'not attached to a stay'),
    el('td', { class: 'muted' }, s.deleted_at ? `deleted ${when(s.deleted_at)}`
      : `kept until ${when(s.delete_after)}${s.reservation_id ? '' : ' (from when it was taken, until attached to a stay)'}`),
    el('td', { class: 'muted' }, s.views.length ? `seen by ${[...new Set(s.views.map((v) => v.member_name))].join(', ')} (${s.views.length}×)` : 'not seen yet'),
    el('td', {}, s.deleted_at ? null : el('a', { href: `/api/v1/scans/${s.id}/image`, target: '_blank', rel: 'noopener',
      // The view is recorded; the list shows it once it is read again.
      onclick: () => setTimeout(() => scannedDocuments().then((card) => card && document.getElementById('scans')?.replaceWith(card)), 1500) }, 'View'))));
  return el('div', { class: 'card', id: 'scans' }, el('h2', {}, `Scanned documents (${scans.filter((s) => !s.deleted_at).length})`),
    scans.length ? el('table', {}, el('tbody', {}, rows)) : el('p', { class: 'muted' }, 'No document has been scanned yet.'));
}

// One kiosk's idle screen: its name, which codes it shows, calls, and a note under the clock.
function screenForm(kiosk, done) {
  const k = kiosk.screen;
  const name = input(kiosk.name, { required: true, maxlength: 60 });
  const box = (checked) => el('input', { type: 'checkbox', checked });
  const [wifi, guide, calls] = [box(k.show_wifi), box(k.show_guide), box(k.calls)];
  const note = el('textarea', { maxlength: 200, rows: 2, placeholder: 'Breakfast 7–10 in the garden' }, k.note);
  const form = el('form', { class: 'card', id: 'kiosk-screen' }, el('h2', {}, `${kiosk.name}: its screen`),
    field('kiosk-rename', 'Where it stands', name),
    el('label', {}, wifi, ' Show the Wi-Fi and its join code'),
    el('label', {}, guide, ' Show the code of the hotel\'s guide'),
    el('label', {}, calls, ' Guests may call reception from it (video and voice)'),
    field('kiosk-note', 'A note under the clock (optional)', note),
    el('div', { class: 'row' }, el('button', { type: 'submit' }, 'Save'), el('button', { type: 'button', class: 'secondary', onclick: done }, 'Cancel')),
    el('div', { class: 'error', role: 'alert' }));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const saved = await submitting(form, () => api('PUT', `/admin/kiosks/${kiosk.id}`, {
      name: name.value, screen: { show_wifi: wifi.checked, show_guide: guide.checked, calls: calls.checked, note: note.value } }));
    if (saved) done();
  });
  return form;
}
