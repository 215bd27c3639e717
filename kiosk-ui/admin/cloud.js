// The cloud relay: whether this hub is linked, since when, the last error, and the address
// where guests and staff outside the hotel reach it. The link is set in the hub's
// configuration ([cloud] relay), not here: the page says what the configuration does.
import { api, el, copyText } from '/common/api.js';
import { when } from '/common/forms.js';

const STATES = {
  off: ['vacant', 'Not set up'],
  connecting: ['vacant', 'Connecting…'],
  online: ['online', 'Online'],
  offline: ['offline', 'Offline'],
};

export async function cloudView() {
  const [status, widget] = await Promise.all([api('GET', '/admin/cloud'), api('GET', '/chat/widget')]);
  const [badgeClass, word] = STATES[status.state] || STATES.offline;
  const card = el('div', { class: 'card', id: 'cloud' },
    el('h2', {}, 'Cloud relay ', el('span', { class: `badge ${badgeClass}`, id: 'cloud-state' }, word)));
  if (!status.enabled) {
    card.append(el('p', {}, 'This hub is not linked to a cloud relay, so it is reachable on the hotel\'s network only. ' +
      'To let guests chat from your public website and to open this app from anywhere, set the relay\'s address in the hub\'s configuration:'),
    el('pre', { class: 'snippet' }, '[cloud]\nrelay = "https://relay.example"'),
    el('p', { class: 'muted' }, 'Then restart the hub. The hub connects out to the relay: no port forwarding is needed.'));
    return card;
  }
  const since = status.since ? ` since ${when(status.since)}` : '';
  // Over the HTTPS port means the hotel's network blocks the link port: worth knowing.
  const way = status.state === 'online' && status.transport === 'websocket'
    ? ' Linked through the relay\'s HTTPS port (the link port is blocked on this network).' : '';
  card.append(el('p', {}, `Relay: ${status.relay}. ${word}${since}.${way}`));
  if (status.last_error) {
    card.append(el('p', { class: status.state === 'online' ? 'muted' : 'error', id: 'cloud-error' },
      `${status.state === 'online' ? 'Last problem (now solved)' : 'Problem'}: ${status.last_error}`));
  }
  if (status.public_url) {
    const copied = el('span', { class: 'muted', role: 'status' });
    const tag = widget.script.replace(/src="[^"]*\/widget\.js"/, `src="${status.public_url}/widget.js"`);
    card.append(
      el('h3', {}, 'Address outside the hotel'),
      el('p', {}, el('a', { href: status.public_url, id: 'cloud-public', target: '_blank', rel: 'noopener' }, status.public_url)),
      el('p', { class: 'muted' }, 'Staff open the Team Messenger and this admin app there with their usual sign-in; guests reach their stay links and the chat.'),
      el('h3', {}, 'Chat tag for your public website'),
      el('pre', { class: 'snippet', id: 'cloud-snippet' }, tag),
      el('button', { type: 'button', class: 'secondary', onclick: async () => {
        copied.textContent = await copyText(tag) ? ' Copied.' : ' Select the tag above and copy it.';
      } }, 'Copy'), copied);
  }
  // Who holds the property on the relay, as the relay says (it may not be reachable).
  const holders = el('div', { id: 'cloud-access' });
  if (status.state === 'online') {
    api('GET', '/admin/cloud/access').then((members) => {
      holders.replaceChildren(members.length
        ? el('p', {}, 'On the relay, this property is in the account of ',
          ...members.flatMap((m, i) => [i ? ', ' : '', el('strong', {}, m.email), ` (${m.role})`]), '.')
        : el('p', { class: 'muted' }, 'No owner has added this property to an account on the relay yet.'));
    }).catch(() => holders.replaceChildren());
  }
  card.append(holders);
  // An owner adds this property to their account on the relay with a one-time code.
  const claimed = el('div', { id: 'claim-result', role: 'status' });
  card.append(el('h3', {}, 'Add this property to your account on the relay'),
    el('p', { class: 'muted' }, 'Sign in (or sign up) at ',
      el('a', { href: `${status.relay_public || status.relay}/`, target: '_blank', rel: 'noopener', id: 'cloud-relay-home' }, `${status.relay_public || status.relay}/`),
      ' and choose "Add a property": it asks for a code from here.'),
    el('button', { type: 'button', id: 'claim-code', onclick: async (event) => {
      event.target.disabled = true;
      try {
        const made = await api('POST', '/admin/cloud/claim-code');
        claimed.replaceChildren(el('p', {}, 'Your code: ', el('strong', { class: 'code', id: 'claim-code-value' }, made.code)),
          el('p', { class: 'muted' }, `It works once, within ${Math.round(made.expires_in_secs / 60)} minutes.`));
      } catch (e) {
        claimed.replaceChildren(el('p', { class: 'error' }, e.message));
      } finally {
        event.target.disabled = false;
      }
    } }, 'Get a code'), claimed);
  card.append(el('p', { class: 'muted' }, `This hub's name on the relay: ${status.hub_id || '—'}. ` +
    'The hub works the same while the link is down; guests outside see that the hotel is offline and their messages wait in their browser.'));
  return card;
}
