// The owners' app on the relay: sign up (with a confirmed e-mail address), sign in, reset a
// forgotten password, claim a property with the code its hub's admin app shows, and the
// dashboard of every property with its state and links to its apps through the relay.
const view = document.getElementById('view');

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

async function api(method, path, body) {
  const r = await fetch(`/api/v1${path}`, {
    method, credentials: 'same-origin',
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = r.status === 204 ? {} : await r.json().catch(() => ({}));
  if (!r.ok) throw Object.assign(new Error(data.error || `The relay answered ${r.status}.`), { status: r.status });
  return data;
}

function field(id, label, attrs) {
  return [el('label', { for: id }, label), el('input', { id, name: id, ...attrs })];
}

/** A form whose submit runs `action(values)`; its message line says how it went. */
function form(id, title, fields, button, action) {
  const message = el('p', { role: 'status', class: 'muted' });
  const f = el('form', { class: 'card', id }, el('h2', {}, title), ...fields, el('button', { type: 'submit' }, button), message);
  f.addEventListener('submit', async (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(f).entries());
    message.className = 'muted';
    message.textContent = 'One moment…';
    try {
      const said = await action(values);
      message.className = 'notice';
      message.textContent = said || 'Done.';
    } catch (e) {
      message.className = 'error';
      message.textContent = e.message.charAt(0).toUpperCase() + e.message.slice(1) + (e.message.endsWith('.') ? '' : '.');
    }
  });
  return f;
}

/** "Sign in with …" for each OpenID provider the relay is set up with. */
async function providerButtons() {
  const providers = await api('GET', '/account/providers').catch(() => []);
  if (providers.length === 0) return '';
  return el('div', { class: 'card', id: 'providers' }, el('h2', {}, 'Sign in with'),
    el('div', { class: 'actions' }, ...providers.map((p) =>
      el('a', { class: 'button secondary', href: `/auth/oidc/${encodeURIComponent(p.id)}/start`, 'data-provider': p.id }, p.name))));
}

async function signedOut(notice) {
  document.getElementById('who').textContent = '';
  const providers = await providerButtons();
  view.replaceChildren(
    notice ? el('p', { class: 'notice card', id: 'notice' }, notice) : '',
    providers,
    form('signin', 'Sign in', [...field('email', 'E-mail', { type: 'email', required: '', autocomplete: 'username' }),
      ...field('password', 'Password', { type: 'password', required: '', autocomplete: 'current-password' })], 'Sign in',
    async (v) => { await api('POST', '/account/signin', v); await start(); return 'Signed in.'; }),
    form('signup', 'New here? Make an account', [...field('signup-email', 'E-mail', { type: 'email', required: '', autocomplete: 'email' }),
      ...field('signup-password', 'Password (at least 10 characters)', { type: 'password', required: '', minlength: '10', autocomplete: 'new-password' })],
    'Make my account', async (v) => {
      await api('POST', '/account/signup', { email: v['signup-email'], password: v['signup-password'] });
      return 'Check your e-mail: the message has a link that confirms your address.';
    }),
    form('forgot', 'Forgot your password?', field('forgot-email', 'E-mail', { type: 'email', required: '' }), 'Send me a link',
      async (v) => { await api('POST', '/account/reset', { email: v['forgot-email'] }); return 'If the address has an account, a link is on its way.'; }));
}

function since(unix) {
  return new Date(unix * 1000).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
}

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

/** What needs the owner's eye at a property, as its hub last told it (`online`: whether
 * the figures are current or the last known before it went offline). */
function summary(s, online) {
  if (!s) return el('p', { class: 'muted' }, 'No news from the property yet.');
  const devices = s.devices === 0 ? 'No devices'
    : s.devices_offline === 0 ? `All ${s.devices} devices online` : `${s.devices_offline} of ${s.devices} devices offline`;
  return el('ul', { class: 'facts' },
    el('li', { class: s.unanswered > 0 ? 'attention' : '' }, plural(s.unanswered, 'guest waiting for an answer', 'guests waiting for an answer')),
    el('li', {}, `${plural(s.arrivals, 'arrival', 'arrivals')} and ${plural(s.departures, 'departure', 'departures')} today`),
    el('li', { class: s.devices_offline > 0 ? 'attention' : '' }, devices),
    el('li', { class: 'muted' }, online ? `Figures reported at ${since(Math.floor(s.seq / 1000))}; sent again when they change`
      : `Last known figures, reported at ${since(Math.floor(s.seq / 1000))}, before the property went offline`));
}

/** Who has access to a property (its owner sees it): managers can be removed at once, and
 * invitations not yet accepted are listed until they are. */
async function people(h, list, message) {
  let sharing;
  try {
    sharing = await api('GET', `/account/hubs/${h.hub_id}/members`);
  } catch (e) {
    list.replaceChildren(el('li', { class: 'error' }, e.message));
    return;
  }
  const rows = sharing.members.map((m) => el('li', {}, el('span', {}, m.email),
    el('span', { class: 'muted' }, m.role === 'owner' ? ' (owner)' : ' (manager) '),
    m.role === 'manager' ? el('button', { type: 'button', class: 'secondary remove', onclick: async () => {
      try {
        await api('DELETE', `/account/hubs/${h.hub_id}/members/${m.id}`);
        message.className = 'notice';
        message.textContent = ` ${m.email} no longer has access.`;
      } catch (e) {
        message.className = 'error';
        message.textContent = ` ${e.message}`;
      }
      people(h, list, message);
    } }, 'Remove') : ''));
  for (const i of sharing.invited) {
    rows.push(el('li', {}, el('span', {}, i.email), el('span', { class: 'muted' }, ` (invited, until ${since(i.expires_at)})`)));
  }
  list.replaceChildren(...rows);
}

/** The owner shares a property: an invitation by e-mail to manage it with them. */
function share(h) {
  const message = el('span', { role: 'status', class: 'muted' });
  const list = el('ul', { class: 'people', 'aria-label': 'People with access' });
  const email = el('input', { type: 'email', required: '', placeholder: 'colleague@example.com', id: `share-${h.hub_id}` });
  const f = el('form', { class: 'share' },
    el('label', { for: `share-${h.hub_id}` }, 'Invite a manager by e-mail'),
    el('p', { class: 'muted' }, 'They see this property here. To open its apps they also need an account of the hotel: add them in its admin app, Team.'),
    email, el('button', { type: 'submit', class: 'secondary' }, 'Send invitation'), message);
  f.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('POST', `/account/hubs/${h.hub_id}/invites`, { email: email.value });
      message.className = 'notice';
      message.textContent = ` Invitation sent to ${email.value}.`;
      email.value = '';
      people(h, list, message);
    } catch (e) {
      message.className = 'error';
      message.textContent = ` ${e.message}`;
    }
  });
  people(h, list, message);
  return el('section', { class: 'sharing' }, el('h4', {}, 'People with access'), list, f);
}

let refreshing = null;

async function dashboard(me) {
  // The dashboard follows the properties by itself: state and figures every 30 s.
  clearInterval(refreshing);
  refreshing = setInterval(() => {
    if (document.getElementById('hubs') && !document.activeElement?.closest('form')) dashboard(me).catch(() => {});
  }, 30000);
  document.getElementById('who').replaceChildren(me.email, ' ',
    el('button', { class: 'secondary', id: 'signout', onclick: async () => { clearInterval(refreshing); await api('POST', '/account/signout'); signedOut('Signed out.'); } }, 'Sign out'));
  const hubs = await api('GET', '/account/hubs');
  const list = el('div', { id: 'hubs' });
  if (hubs.length === 0) list.append(el('p', { class: 'card muted' }, 'No property yet. Add one with the code from its hub (below).'));
  for (const h of hubs) {
    const online = h.online_since !== null;
    list.append(el('div', { class: 'card hub', 'data-hub': h.hub_id },
      el('h3', {}, h.name || h.hub_id),
      el('span', { class: `badge ${online ? 'online' : 'offline'}` }, online ? 'Online' : 'Offline'),
      el('p', { class: 'muted' }, online ? `Online since ${since(h.online_since)}` :
        h.offline_since ? `Offline since ${since(h.offline_since)}` : 'Not connected yet'),
      summary(h.summary, online),
      el('div', { class: 'actions' },
        el('a', { class: 'button', href: `${h.public_url}/admin/`, target: '_blank', rel: 'noopener' }, 'Admin app'),
        el('a', { class: 'button secondary', href: `${h.public_url}/messenger/`, target: '_blank', rel: 'noopener' }, 'Team Messenger')),
      // Two accounts that look alike: this one lists properties, the hotel's own opens them.
      el('p', { class: 'muted' }, 'These open the hotel\'s own apps: sign in there with your account of the hotel ' +
        '(the one its admin app\'s Team section made for you), not with this one.'),
      h.role === 'owner' ? share(h) : el('p', { class: 'muted' }, 'You manage this property with its owner.')));
  }
  view.replaceChildren(el('h2', {}, 'Your properties'), list,
    form('claim', 'Add a property', [el('p', { class: 'muted' }, "In the property's admin app, open Cloud relay and choose \"Get a code\"; type the code here."),
      ...field('code', 'Code', { required: '', autocomplete: 'off', placeholder: 'K7Q2-M9XD' })], 'Add',
    async (v) => { await api('POST', '/account/hubs/claim', { code: v.code }); await dashboard(me); return 'Added.'; }));
}

async function start() {
  const token = location.hash.slice(1);
  if (location.pathname === '/verify' && token) {
    history.replaceState(null, '', '/');
    try {
      await api('POST', '/account/verify', { token });
      return signedOut('Your e-mail address is confirmed. Sign in.');
    } catch (e) {
      // Opened a second time (a mail app may open it twice), the link is spent: the address
      // is most likely confirmed already.
      return signedOut(e.status === 404
        ? 'This confirmation link has been used already or is too old. If you confirmed your address, just sign in; otherwise sign up again for a new link.'
        : `This confirmation link does not work: ${e.message}.`);
    }
  }
  if (location.pathname === '/reset' && token) {
    history.replaceState(null, '', '/');
    view.replaceChildren(form('reset', 'Choose a new password',
      field('new-password', 'New password (at least 10 characters)', { type: 'password', required: '', minlength: '10', autocomplete: 'new-password' }),
      'Save', async (v) => { await api('POST', '/account/reset/confirm', { token, password: v['new-password'] }); signedOut('Your password is changed. Sign in with it.'); }));
    return;
  }
  if (location.pathname === '/invite' && token) {
    // Kept until the invited person is signed in, then spent; in localStorage, because a new
    // account's confirmation link opens in another tab.
    localStorage.setItem('invite', token);
    history.replaceState(null, '', '/');
  }
  try {
    const me = await api('GET', '/account');
    const invite = localStorage.getItem('invite');
    if (invite) {
      try {
        await api('POST', '/account/invites/accept', { token: invite });
        localStorage.removeItem('invite');
      } catch (e) {
        // Made out to another address: kept, for when that one signs in here.
        if (e.status !== 403) localStorage.removeItem('invite');
        await dashboard(me);
        view.prepend(el('p', { class: 'error card', id: 'notice' }, `The invitation did not work: ${e.message}.`));
        return;
      }
    }
    await dashboard(me);
  } catch (e) {
    if (e.status === 401 && localStorage.getItem('invite')) {
      signedOut('Sign in, or make an account, with the address the invitation went to: the property is added then.');
      return;
    }
    if (e.status === 401) signedOut();
    else view.replaceChildren(el('p', { class: 'error card' }, e.message));
  }
}

start();
