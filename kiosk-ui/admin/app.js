// The admin app: sign in, then the sections the member's role opens. The hub enforces every
// rule; hiding a tab is only courtesy.
import { api, el } from '/common/api.js';
import { setZone } from '/common/forms.js';
import { staffSignIn } from '/common/signin.js';
import { teamView } from '/admin/team.js';
import { propertyView, roomsView } from '/admin/property.js';
import { devicesView } from '/admin/devices.js';
import { brokerView } from '/admin/broker.js';
import { accountView } from '/admin/account.js';
import { chatView } from '/admin/chat.js';
import { bookingsView } from '/admin/bookings.js';
import { scenariosView } from '/admin/scenarios.js';
import { receptionView } from '/admin/reception.js';
import { frontDeskView } from '/admin/frontdesk.js';
import { cloudView } from '/admin/cloud.js';
import { messengersView } from '/admin/messengers.js';
import { systemView } from '/admin/system.js';

const SECTIONS = [
  { id: 'account', title: 'My account', view: accountView, admin: false },
  { id: 'team', title: 'Team', view: teamView, admin: true },
  { id: 'property', title: 'Property', view: propertyView, admin: true },
  { id: 'rooms', title: 'Rooms', view: roomsView, admin: true },
  { id: 'guest-page', title: 'Guest page', view: receptionView, admin: true },
  { id: 'front-desk', title: 'Front desk', view: frontDeskView, admin: true },
  { id: 'chat', title: 'Chat', view: chatView, admin: true },
  { id: 'bookings', title: 'Bookings', view: bookingsView, admin: false },
  { id: 'devices', title: 'Devices', view: devicesView, admin: false },
  { id: 'scenarios', title: 'Scenarios', view: scenariosView, admin: true },
  { id: 'mqtt', title: 'MQTT sign-in', view: brokerView, admin: true },
  { id: 'messengers', title: 'Messengers', view: messengersView, admin: true },
  { id: 'cloud', title: 'Cloud relay', view: cloudView, admin: true },
  { id: 'system', title: 'System', view: systemView, admin: true },
];

let me = null;
let routes = 0;
const signIn = staffSignIn('Sign in to Hotel Hub', start);

async function start() {
  me = await signIn.member();
  if (!me) return;
  document.getElementById('whoami').textContent = `${me.name} · ${me.role.replace('_', ' ')}`;
  const property = await api('GET', '/property').catch(() => null);
  if (property) setZone(property.time_zone);
  renderTabs();
  route();
}

function isAdmin() {
  return me && (me.role === 'owner' || me.role === 'admin');
}

function renderTabs() {
  const tabs = document.getElementById('tabs');
  tabs.replaceChildren(...SECTIONS.filter((s) => !s.admin || isAdmin())
    .map((s) => el('a', { href: `#${s.id}`, 'data-tab': s.id }, s.title)));
}

async function route() {
  const id = location.hash.slice(1) || (isAdmin() ? 'team' : 'account');
  const section = SECTIONS.find((s) => s.id === id) || SECTIONS[0];
  for (const a of document.querySelectorAll('#tabs a')) {
    a.classList.toggle('active', a.dataset.tab === section.id);
  }
  const view = document.getElementById('view');
  if (section.admin && !isAdmin()) {
    view.replaceChildren(el('div', { class: 'card', id: 'denied' },
      el('h2', {}, 'Not for your role'),
      el('p', {}, `Only the owner and admins can open ${section.title.toLowerCase()} settings.`)));
    return;
  }
  view.replaceChildren(el('p', { class: 'muted' }, 'Loading…'));
  // A slower section must not replace the one opened after it.
  const ticket = ++routes;
  try {
    const drawn = await section.view(me);
    if (ticket === routes) view.replaceChildren(drawn);
  } catch (e) {
    if (ticket !== routes) return;
    if (e.status === 401) return showSignIn();
    const message = e.status === 403
      ? `Only the owner and admins can open ${section.title.toLowerCase()} settings.`
      : e.message;
    view.replaceChildren(el('div', { class: 'card', id: 'denied' }, el('p', { class: 'error' }, message)));
  }
}

function showSignIn() {
  me = null;
  signIn.show();
}

document.getElementById('signout').addEventListener('click', async () => {
  await api('POST', '/auth/logout').catch(() => {});
  location.hash = '';
  showSignIn();
});

// A form with changes not yet saved marks itself data-unsaved="true"; leaving its section
// or the page asks first.
const unsaved = () => document.querySelector('#view form[data-unsaved="true"]');
let shown = location.hash;
window.addEventListener('hashchange', () => {
  if (!me) return;
  if (unsaved() && !confirm('Your changes here are not saved yet. Leave without saving them?')) {
    history.replaceState(null, '', shown || location.pathname);
    return;
  }
  shown = location.hash;
  route();
});
window.addEventListener('beforeunload', (event) => { if (unsaved()) event.preventDefault(); });

start();
