// Broker credentials for devices, Tasmota, Zigbee2MQTT or Home Assistant.
import { api, el, submitting } from '/common/api.js';

export async function brokerView() {
  const root = el('div');
  const render = async (created) => {
    const creds = await api('GET', '/admin/device-credentials');
    const username = el('input', { id: 'cred-username', required: true, pattern: '[A-Za-z0-9_\\-]{3,32}' });
    const label = el('input', { id: 'cred-label', maxlength: 80 });
    const form = el('form', { class: 'card' },
      el('h2', {}, 'MQTT broker sign-in for a device'),
      el('p', { class: 'muted' }, `Devices connect to the hub's broker on port 1883 (host ${location.hostname}).`),
      el('div', { class: 'row' }, el('div', {}, el('label', { for: 'cred-username' }, 'Username'), username),
        el('div', {}, el('label', { for: 'cred-label' }, 'What it is for'), label), el('button', { type: 'submit' }, 'Create')),
      el('div', { class: 'error', role: 'alert' }),
      created ? el('div', {}, el('p', { class: 'notice' }, `Password for ${created.credential.username}, shown only now:`),
        el('code', { class: 'secret', id: 'cred-password' }, created.password)) : '');
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const made = await submitting(form, () => api('POST', '/admin/device-credentials', { username: username.value, label: label.value }));
      if (made) render(made);
    });
    const list = el('div', { class: 'card' }, el('h2', {}, 'Credentials'),
      creds.length === 0 ? el('p', { class: 'muted' }, 'None yet: no device can sign in.') :
      el('table', {}, el('tbody', {}, creds.map((c) => el('tr', {}, el('td', {}, c.username), el('td', { class: 'muted' }, c.label),
        el('td', {}, el('button', { class: 'danger', onclick: async () => {
          if (!confirm(`Revoke ${c.username}? The device can no longer sign in.`)) return;
          await api('DELETE', `/admin/device-credentials/${c.id}`).catch((e) => alert(e.message));
          render();
        } }, 'Revoke')))))));
    root.replaceChildren(form, list);
  };
  await render();
  return root;
}
