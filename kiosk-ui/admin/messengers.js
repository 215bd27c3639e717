// Messengers (CLOUD-2): the property's own Telegram bot, Viber bot, WhatsApp number and
// Facebook page. Guests who write there land in the Team Messenger; the team's answers go
// back the same way; staff can have their notifications there (My account).
import { api, el, busy, copyText } from '/common/api.js';
import { field } from '/common/forms.js';

// What each platform asks of the owner, step by step, and what its fields are called there.
const HELP = {
  telegram: {
    steps: ['In Telegram, open @BotFather and send /newbot.', 'Choose a name guests will see, such as your hotel\'s name, and a username ending in "bot".',
      'BotFather answers with a long code (the token). Paste it below and press Connect.'],
    token: 'Bot token from BotFather', meta: false,
  },
  viber: {
    steps: ['Viber charges for new bots: see the prices at partners.viber.com first.',
      'Create a bot account there; its page shows an authentication token.', 'Paste the token below and press Connect.'],
    token: 'Authentication token', meta: false,
  },
  whatsapp: {
    steps: ['In Meta for Developers, create an app with WhatsApp and add your hotel\'s number.',
      'Under WhatsApp → API Setup, copy a permanent access token and the phone number ID; the app secret is under App settings → Basic.',
      'Press Connect: you then get two codes to paste into the app\'s Webhooks settings.'],
    token: 'Permanent access token', account: 'Phone number ID', meta: true,
  },
  messenger: {
    steps: ['In Meta for Developers, create an app with Messenger and connect your hotel\'s Facebook page.',
      'Copy the page access token and the page ID; the app secret is under App settings → Basic.',
      'Press Connect: you then get two codes to paste into the app\'s Webhooks settings.'],
    token: 'Page access token', account: 'Page ID', meta: true,
  },
};

export async function messengersView() {
  const [platforms, cloud] = await Promise.all([api('GET', '/admin/messengers'),
    api('GET', '/admin/cloud').catch(() => ({}))]);
  const root = el('div', { id: 'messengers' });
  const intro = el('div', { class: 'card' }, el('h2', {}, 'Messengers'),
    el('p', {}, 'Guests can write to the hotel from Telegram, Viber, WhatsApp or Facebook Messenger: each conversation ' +
      'appears in the Team Messenger with its channel and room, and your answers go back the same way.'));
  if (!cloud.public_url) {
    intro.append(el('p', { class: 'error', id: 'messengers-no-relay' }, 'The platforms reach the hub through the cloud relay, ' +
      'and this hub is not linked to one yet (see Cloud relay). You can connect a bot now; its messages arrive once the link is up.'));
  }
  root.append(intro, ...platforms.map((p) => platformCard(p, root)));
  return root;
}

function platformCard(p, root) {
  const help = HELP[p.platform];
  const { meta } = help;
  const id = (name) => `${p.platform}-${name}`;
  const token = el('input', { type: 'password', autocomplete: 'off', spellcheck: 'false' });
  const secret = el('input', { type: 'password', autocomplete: 'off', spellcheck: 'false' });
  const account = el('input', { inputmode: 'numeric', autocomplete: 'off' });
  const offered = el('input', { type: 'checkbox', id: id('offered'), checked: p.connected ? p.offered : true });
  const error = el('div', { class: 'error', role: 'alert' });
  const result = el('p', { class: 'notice', role: 'status', id: id('result') });
  const body = () => ({ token: token.value.trim(), app_secret: secret.value.trim(),
    account_id: account.value.trim(), offered: offered.checked });
  const state = p.connected
    ? el('span', { class: 'badge online' }, 'Connected') : el('span', { class: 'badge vacant' }, 'Not connected');
  const card = el('form', { class: 'card', id: id('card') }, el('h2', {}, `${p.label} `, state));
  if (p.connected) {
    card.append(el('p', {}, 'Guests write to ', el('strong', { id: id('name') }, p.name),
      p.shared ? ', the cloud relay\'s shared bot: guests see its name, not your hotel\'s. Connect a bot of your own below to show yours.' : '.'));
    if (p.webhook_error) card.append(el('p', { class: 'error' }, `The platform could not be told where to send messages: ${p.webhook_error}`));
    if (meta && p.webhook_url) {
      card.append(el('p', { class: 'muted' }, 'In your app\'s Webhooks settings, enter these two and subscribe to ' +
        `${p.platform === 'whatsapp' ? '"messages"' : '"messages" and "messaging_referrals"'}:`),
      copyable('Callback URL', p.webhook_url), copyable('Verify token', p.verify_token || ''));
    }
    if (p.refused) card.append(el('p', { class: 'muted' }, `${p.refused} request(s) that were not from ${p.label} were refused since the hub started.`));
  }
  const fields = [field(id('token'), help.token, token)];
  if (meta) fields.push(field(id('account'), help.account, account), field(id('secret'), 'App secret', secret));
  const steps = el('ol', { class: 'steps' }, ...help.steps.map((t) => el('li', {}, t)));
  const buttons = el('div', { class: 'actions' },
    el('button', { type: 'button', class: 'secondary', id: id('test'), onclick: async (event) => {
      const info = await busy(event.target, error, () => api('POST', `/admin/messengers/${p.platform}/test`, body()));
      if (info) result.textContent = `These details belong to ${info.name}.`;
    } }, 'Check details'),
    el('button', { type: 'submit', id: id('connect') }, p.connected ? 'Save' : 'Connect'),
    p.connected ? el('button', { type: 'button', class: 'danger', onclick: async () => {
      if (!confirm(`Disconnect ${p.label}? Its conversations stay; new messages stop arriving.`)) return;
      await api('DELETE', `/admin/messengers/${p.platform}`).catch((e) => alert(e.message));
      root.replaceWith(await messengersView());
    } }, 'Disconnect') : null);
  const offer = el('label', {}, offered, ' Offer it to guests (the chat button, the guest pages and the QR plates)');
  if (p.connected) {
    // Connected: the offer is at hand; other credentials wait behind a fold.
    card.append(offer, el('details', { class: 'replace' }, el('summary', {}, 'Use other details (another bot, number or page)'),
      el('p', { class: 'muted' }, 'Leave a field empty to keep what is saved.'), steps, ...fields), error, result, buttons);
  } else {
    card.append(steps, ...fields, offer, error, result, buttons);
    if (p.platform === 'telegram') card.append(sharedOption(card, root, offered, error));
  }
  card.addEventListener('submit', async (event) => {
    event.preventDefault();
    const saved = await busy(card.querySelector('button[type=submit]'), error,
      () => api('PUT', `/admin/messengers/${p.platform}`, body()));
    if (saved) root.replaceWith(await messengersView());
  });
  return card;
}

// A hotel without a Telegram bot of its own can use the cloud relay's (when it runs one).
function sharedOption(card, root, offered, error) {
  return el('div', { class: 'shared-option' },
    el('h3', {}, 'No bot of your own?'),
    el('p', { class: 'muted' }, 'Use the cloud relay\'s shared Telegram bot: nothing to create or paste. Guests then see the relay\'s bot rather than your hotel\'s name.'),
    el('button', { type: 'button', class: 'secondary', id: 'telegram-shared', onclick: async (event) => {
      const saved = await busy(event.target, error, () => api('PUT', '/admin/messengers/telegram', { shared: true, offered: offered.checked }));
      if (saved) root.replaceWith(await messengersView());
    } }, 'Use the shared bot'));
}

function copyable(label, text) {
  const said = el('span', { class: 'muted', role: 'status' });
  return el('p', { class: 'copyable' }, el('strong', {}, `${label}: `), el('code', {}, text), ' ',
    el('button', { type: 'button', class: 'secondary', onclick: async () => {
      said.textContent = await copyText(text) ? ' Copied.' : ' Select it and copy it.';
    } }, 'Copy'), said);
}
