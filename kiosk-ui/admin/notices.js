// A member's notifications (TEAM-3, CLOUD-3): where they go (this browser's push, or one
// linked messenger, so nothing comes twice), which events, quiet hours, and linking the
// member's own Telegram, Viber or Messenger account with a one-time code.
import { api, el, busy } from '/common/api.js';
import { field } from '/common/forms.js';

const EVENTS = [
  ['new_dialogue', 'A guest starts a conversation'],
  ['guest_message', 'A guest writes again'],
  ['unanswered', 'A guest has waited too long for an answer'],
  ['call', 'A guest calls the desk, or a call is missed'],
];
const LABELS = { push: 'Notifications on this device', email: 'E-mail', telegram: 'Telegram', viber: 'Viber', messenger: 'Facebook Messenger', off: 'Nowhere' };

export async function noticesCard() {
  const mine = await api('GET', '/account/notifications');
  const linked = new Set(mine.links.map((l) => l.platform));
  const channel = el('select', { id: 'notice-channel' },
    ...['push', 'email', ...mine.linkable.filter((p) => linked.has(p)), 'off'].map((c) =>
      el('option', { value: c, selected: c === mine.choices.channel }, LABELS[c])));
  const boxes = EVENTS.map(([value, label]) => el('label', { class: 'inline' },
    el('input', { type: 'checkbox', value, checked: mine.choices.events.includes(value) }), ` ${label}`));
  const from = el('input', { type: 'time', value: mine.choices.quiet_from });
  const to = el('input', { type: 'time', value: mine.choices.quiet_to });
  const error = el('div', { class: 'error', role: 'alert' });
  const saved = el('p', { class: 'notice', role: 'status' });
  const form = el('form', { class: 'card', id: 'notices' },
    el('h2', {}, 'Notifications'),
    el('p', { class: 'muted' }, 'When the Team Messenger is closed, you are notified where you choose below. While it is open, it alerts you itself.'),
    field('notice-channel', 'Send them to', channel),
    el('fieldset', {}, el('legend', {}, 'Tell me when'), ...boxes),
    el('fieldset', { class: 'inline' }, el('legend', {}, 'Quiet hours (the hotel\'s time; leave empty for none)'),
      field('quiet-from', 'From', from), field('quiet-to', 'To', to)),
    error, saved, el('button', { type: 'submit' }, 'Save'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const done = await busy(form.querySelector('button[type=submit]'), error, () => api('PUT', '/account/notifications', {
      channel: channel.value,
      events: boxes.map((b) => b.firstChild).filter((b) => b.checked).map((b) => b.value),
      quiet_from: from.value, quiet_to: to.value,
    }));
    if (done) saved.textContent = 'Saved.';
  });
  return el('div', {}, form, linksCard(mine, async () => form.parentNode.replaceWith(await noticesCard())));
}

function linksCard(mine, refresh) {
  const card = el('div', { class: 'card', id: 'messenger-links' }, el('h2', {}, 'Your messenger accounts'));
  if (!mine.linkable.length) {
    card.append(el('p', { class: 'muted' }, 'The hotel has not connected a Telegram, Viber or Facebook Messenger bot yet. Ask the owner.'));
    return card;
  }
  const error = el('div', { class: 'error', role: 'alert' });
  const offer = el('div', { id: 'link-offer', role: 'status' });
  for (const platform of mine.linkable) {
    const link = mine.links.find((l) => l.platform === platform);
    const label = LABELS[platform];
    card.append(el('div', { class: 'row' },
      el('span', {}, link ? `${label}: linked${link.display ? ` (${link.display})` : ''}` : `${label}: not linked`),
      link
        ? el('button', { type: 'button', class: 'secondary', onclick: async (event) => {
          if (await busy(event.target, error, () => api('DELETE', `/account/messengers/${platform}`)) !== undefined) refresh();
        } }, 'Unlink')
        : el('button', { type: 'button', id: `link-${platform}`, onclick: async (event) => {
          const made = await busy(event.target, error, () => api('POST', `/account/messengers/${platform}`));
          if (!made) return;
          event.target.hidden = true;
          offer.replaceChildren(
            el('p', {}, el('a', { href: made.url, target: '_blank', rel: 'noopener', class: 'button', id: 'link-open' }, `Open ${label} to link`)),
            el('p', { class: 'muted' }, `Tap Start in the hotel's chat in ${label}. This link works once, for ${Math.round(made.expires_in_secs / 60)} minutes. ` +
              `${label} then appears under "Send them to".`));
          // Linked on the phone: this page shows it once the member comes back to it.
          const back = () => { if (document.visibilityState === 'visible') { document.removeEventListener('visibilitychange', back); refresh(); } };
          document.addEventListener('visibilitychange', back);
        } }, `Link ${label}`)));
  }
  card.append(error, offer);
  return card;
}
