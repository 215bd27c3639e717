// Broker credentials for devices, Tasmota, Zigbee2MQTT or Home Assistant.
import { api, el, submitting } from '/common/api.js';
import { deleteButton, field, when } from '/common/forms.js';

export async function brokerView() {
  const root = el('div');
  const render = async (created) => {
    const [creds, broker] = await Promise.all([api('GET', '/admin/device-credentials'), api('GET', '/admin/broker')]);
    // What the page says is what the hub's configuration does.
    const where = !broker.enabled
      ? el('p', { class: 'error', id: 'broker-where' }, 'The MQTT broker is turned off in this hub\'s configuration ([broker] enabled = false): devices cannot connect until it is on.')
      : el('p', { class: 'muted', id: 'broker-where' }, `Devices connect to the hub's broker on port ${broker.port} (host ${location.hostname}).`,
        broker.reachable_on_lan ? '' : el('strong', {}, ' It listens on this machine only: devices on the network reach it once [broker] listen is 0.0.0.0 in the hub\'s configuration.'));
    const username = el('input', { required: true, pattern: '[A-Za-z0-9_\\-]{3,32}' });
    const label = el('input', { maxlength: 80 });
    const form = el('form', { class: 'card' },
      el('h2', {}, 'MQTT broker sign-in for a device'),
      where,
      el('div', { class: 'row' }, field('cred-username', 'Username', username), field('cred-label', 'What it is for', label),
        el('button', { type: 'submit' }, 'Create')),
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
        el('td', {}, deleteButton('Revoke', `Revoke ${c.username}? The device can no longer sign in.`,
          `/admin/device-credentials/${c.id}`, render)))))));
    // Who the broker turned away or dropped lately, and why: a device that "does not
    // connect" is usually here.
    const refused = el('div', { class: 'card', id: 'broker-refused' }, el('h2', {}, 'Refused lately'),
      broker.refused.length === 0 ? el('p', { class: 'muted' }, 'No client was refused since the hub started.')
        : el('table', {}, el('thead', {}, el('tr', {}, ['When', 'Client', 'Why'].map((h) => el('th', {}, h)))),
          el('tbody', {}, broker.refused.map((r) => el('tr', {},
            el('td', { class: 'muted' }, when(r.at)), el('td', {}, r.client_id || '(before it said who)'), el('td', {}, r.reason))))));
    root.replaceChildren(form, list, refused);
  };
  await render();
  return root;
}
