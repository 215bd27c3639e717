// The member's own card: name, nickname, availability (TEAM-4).
import { api, el, submitting } from '/common/api.js';
import { noticesCard } from '/admin/notices.js';

export async function accountView(me) {
  const status = el('select', { id: 'status', name: 'status' },
    ...['online', 'away', 'offline'].map((s) => el('option', { value: s, selected: s === me.status }, s)));
  const notify = el('input', { type: 'checkbox', id: 'offline-notifications', checked: me.offline_notifications });
  const statusForm = el('form', { class: 'card' },
    el('h2', {}, 'Availability'),
    el('label', { for: 'status' }, 'Status'), status,
    el('label', {}, notify, ' While I am offline, e-mail me contact forms and the team\'s notices'),
    el('div', { class: 'error', role: 'alert' }),
    el('p', { class: 'notice', id: 'status-saved' }),
    el('button', { type: 'submit' }, 'Save'));
  statusForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const saved = await submitting(statusForm, () => api('PUT', '/me/status',
      { status: status.value, offline_notifications: notify.checked }));
    if (saved) statusForm.querySelector('#status-saved').textContent = `You are ${saved.status}.`;
  });

  const name = el('input', { id: 'my-name', name: 'name', value: me.name, required: true });
  const nickname = el('input', { id: 'my-nickname', name: 'nickname', value: me.nickname });
  const profile = el('form', { class: 'card' },
    el('h2', {}, 'Profile'),
    el('p', { class: 'muted' }, `${me.email} · ${me.role.replace('_', ' ')}`),
    el('label', { for: 'my-name' }, 'Name'), name,
    el('label', { for: 'my-nickname' }, 'Nickname guests see'), nickname,
    el('div', { class: 'error', role: 'alert' }),
    el('button', { type: 'submit' }, 'Save'));
  profile.addEventListener('submit', async (event) => {
    event.preventDefault();
    const saved = await submitting(profile, () => api('PUT', '/me', { name: name.value, nickname: nickname.value }));
    if (saved) Object.assign(me, saved);
  });
  const notices = await noticesCard().catch(() => null);
  return el('div', {}, statusForm, notices, profile);
}
