// The invitee's page: shows what the link is for, sets name and password, signs in.
import { api, submitting } from '/common/api.js';

const token = decodeURIComponent(location.pathname.split('/').pop() || '');
const form = document.getElementById('accept');
const roles = { admin: 'an admin', chat_admin: 'a chat administrator', agent: 'an agent' };

try {
  const invite = await api('GET', `/invites/${encodeURIComponent(token)}`);
  document.getElementById('greeting').textContent = `Join ${invite.property_name}`;
  document.getElementById('for-email').textContent =
    `You are invited as ${roles[invite.role] || invite.role} with ${invite.email}.`;
  form.hidden = false;
} catch (e) {
  const gone = document.getElementById('gone');
  gone.textContent = e.message;
  gone.hidden = false;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const data = Object.fromEntries(new FormData(form));
  const ok = await submitting(form, () => api('POST', `/invites/${encodeURIComponent(token)}/accept`, data));
  // Agents work in the Team Messenger; those who run the hub land in the admin app.
  if (ok) location.assign(['owner', 'admin'].includes(ok.role) ? '/admin/' : '/messenger/');
});
