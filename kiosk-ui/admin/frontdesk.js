// The Front Desk's kiosks (DESK-1): pair a lobby tablet with a one-time code, see when each
// kiosk was last seen, revoke one (it is cut off at once).
import { api, el, submitting } from '/common/api.js';
import { field, input, when } from '/common/forms.js';

export async function frontDeskView() {
  const root = el('div', { id: 'front-desk' });
  // Where the tablet opens the kiosk: this page's address, unless that is this machine's
  // own (loopback), which a tablet cannot reach; then the hub's address on the LAN.
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(location.hostname);
  const lan = loopback ? (await api('GET', '/reception/addresses').catch(() => ({ addresses: [] }))).addresses[0] : null;
  const kioskAddress = `${lan || location.origin}/kiosk/`;
  const render = async (shown = null) => {
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
          '. For calls with camera and microphone later, the tablet must trust the hub\'s certificate: ',
          el('a', { href: '/ca.crt' }, 'download it'), ' on the tablet and install it.')) : null);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const code = await submitting(form, () => api('POST', '/admin/kiosks/pairing', { name: name.value }));
      if (code) render(code);
    });
    const rows = kiosks.map((k) => el('tr', { 'data-kiosk': k.name },
      el('td', {}, k.name), el('td', { class: 'muted' }, `paired ${when(k.paired_at)}`),
      el('td', { class: 'muted' }, k.last_seen_at ? `last seen ${when(k.last_seen_at)}` : 'not seen yet'),
      el('td', {}, el('button', { type: 'button', class: 'danger', onclick: async () => {
        if (!confirm(`Revoke ${k.name}? It is refused from now on; its screen goes back to pairing within a minute, and it must be paired again.`)) return;
        await api('DELETE', `/admin/kiosks/${k.id}`).catch((e) => alert(e.message));
        render();
      } }, 'Revoke'))));
    root.replaceChildren(form, el('div', { class: 'card' }, el('h2', {}, `Kiosks (${kiosks.length})`),
      kiosks.length ? el('table', {}, el('tbody', {}, rows)) : el('p', { class: 'muted' }, 'No tablet is paired yet.')));
  };
  await render();
  return root;
}
