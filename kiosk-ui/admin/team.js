// Team: members with their roles and status, inviting by e-mail, pending invites (TEAM-2).
import { api, copyText, el, submitting } from '/common/api.js';
import { day, deleteButton, field } from '/common/forms.js';

const ROLE_NAMES = { owner: 'Owner', admin: 'Admin', chat_admin: 'Chat administrator', agent: 'Agent' };

export async function teamView(me) {
  const root = el('div');
  const render = async () => {
    const [members, invites, pushed] = await Promise.all([api('GET', '/admin/members'), api('GET', '/admin/invites'),
      api('GET', '/push/reachable')]);
    root.replaceChildren(inviteCard(me, render), membersCard(me, members, new Set(pushed), render), invitesCard(invites, render));
  };
  await render();
  return root;
}

function inviteCard(me, refresh) {
  const roles = me.role === 'owner' ? ['agent', 'chat_admin', 'admin'] : ['agent', 'chat_admin'];
  const result = el('div', { id: 'invite-result' });
  const form = el('form', { class: 'card', id: 'invite-form' },
    el('h2', {}, 'Invite a member'),
    el('div', { class: 'row' },
      field('invite-email', 'E-mail', el('input', { name: 'email', type: 'email', required: true })),
      field('invite-role', 'Role', el('select', { name: 'role' }, ...roles.map((r) => el('option', { value: r }, ROLE_NAMES[r]))))),
    el('div', { class: 'error', role: 'alert' }),
    el('button', { type: 'submit' }, 'Send invite'),
    result);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    const created = await submitting(form, () => api('POST', '/admin/invites', data));
    if (!created) return;
    const note = created.emailed
      ? `An e-mail with this link went to ${created.invite.email}.`
      : `No e-mail is set up: pass this link to ${created.invite.email}. It works once and expires in a week.`;
    await refresh();
    document.getElementById('invite-result').replaceChildren(
      el('p', { class: 'notice' }, note),
      el('code', { class: 'secret', id: 'invite-link' }, created.link),
      copyButton(created.link));
  });
  return form;
}

// How a member hears of a guest while their Team Messenger is closed.
function reach(m, pushed) {
  const ways = [pushed.has(m.id) ? 'push' : null, m.offline_notifications ? 'e-mail' : null].filter(Boolean);
  return ways.length ? ways.join(' + ') : el('span', { class: 'error-text' }, 'not reachable');
}

function copyButton(text) {
  const said = el('span', { class: 'muted', role: 'status' });
  const button = el('button', { type: 'button', class: 'secondary', id: 'copy-invite', onclick: async () => {
    said.textContent = await copyText(text) ? ' Copied.' : ' Select the link and copy it.';
  } }, 'Copy link');
  return el('span', {}, ' ', button, said);
}

function membersCard(me, members, pushed, refresh) {
  const rows = members.map((m) => {
    const editable = m.role !== 'owner' && m.id !== me.id && (me.role === 'owner' || m.role !== 'admin');
    const roleCell = editable
      ? roleSelect(me, m, refresh)
      : ROLE_NAMES[m.role];
    const remove = editable
      ? deleteButton('Remove', `Remove ${m.name}? They are signed out at once.`, `/admin/members/${m.id}`, refresh)
      : '';
    return el('tr', { 'data-member': m.email },
      el('td', {}, m.name, m.nickname ? el('span', { class: 'muted' }, ` (${m.nickname})`) : ''),
      el('td', { class: 'hide-small' }, m.email),
      el('td', {}, roleCell),
      el('td', { class: 'hide-small' }, m.status === 'away' ? 'away' : 'available'),
      el('td', {}, reach(m, pushed)),
      el('td', {}, remove));
  });
  return el('div', { class: 'card' }, el('h2', {}, 'Members'),
    el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'Name'), el('th', { class: 'hide-small' }, 'E-mail'),
      el('th', {}, 'Role'), el('th', { class: 'hide-small' }, 'Status'),
      el('th', { title: 'How they hear of a guest while the Team Messenger is closed' }, 'Alerts'),
      el('th', {}, ''))), el('tbody', {}, rows)),
    el('p', { class: 'muted' }, 'Alerts: "push" once they turn alerts on in the Team Messenger (on the https address); ' +
      '"e-mail" when they asked for e-mail and the hub can send mail.'));
}

function roleSelect(me, member, refresh) {
  const choices = me.role === 'owner' ? ['agent', 'chat_admin', 'admin'] : ['agent', 'chat_admin'];
  const select = el('select', { 'aria-label': `Role of ${member.name}` },
    ...choices.map((r) => el('option', { value: r, selected: r === member.role }, ROLE_NAMES[r])));
  select.addEventListener('change', async () => {
    await api('PATCH', `/admin/members/${member.id}`, { role: select.value }).catch((e) => alert(e.message));
    refresh();
  });
  return select;
}

function invitesCard(invites, refresh) {
  if (invites.length === 0) return el('div');
  return el('div', { class: 'card' }, el('h2', {}, 'Pending invites'),
    el('table', {}, el('tbody', {}, invites.map((i) => el('tr', {},
      el('td', {}, i.email), el('td', {}, ROLE_NAMES[i.role]),
      el('td', { class: 'hide-small muted' }, `expires ${day(i.expires_at)}`),
      el('td', {}, el('button', { class: 'secondary', onclick: async () => {
        await api('DELETE', `/admin/invites/${i.id}`).catch((e) => alert(e.message));
        refresh();
      } }, 'Withdraw')))))));
}
