// Chat settings (CHAT-1, -5, -11, -12, -14, -15, CHAT-4, CRM): the widget's design with a
// live preview, the script tag to paste with short guides, distribution and timers,
// consent, the bot, identification and the CRM webhook.
import { api, copyText, el, submitting } from '/common/api.js';
import { field, input } from '/common/forms.js';
import { translationsEditor } from '/admin/translations.js';

const lines = (text) => text.split('\n').map((l) => l.trim()).filter(Boolean);

function keywordText(list) { return list.map((k) => `${k.keywords.join(', ')} => ${k.answer}`).join('\n'); }
function parseKeywords(text) {
  return lines(text).map((l) => {
    const [words, ...answer] = l.split('=>');
    return { keywords: words.split(',').map((w) => w.trim()).filter(Boolean), answer: answer.join('=>').trim() };
  });
}
function pageText(list) { return list.map((p) => `${p.url_contains} | ${p.after_seconds} | ${p.text}`).join('\n'); }
function parsePages(text) {
  return lines(text).map((l) => {
    const [url, secs, ...t] = l.split('|');
    return { url_contains: (url || '').trim(), after_seconds: Number((secs || '0').trim()) || 0, text: t.join('|').trim() };
  });
}

export async function chatView() {
  const [s, snippet, property, cloud] = await Promise.all([api('GET', '/admin/chat/settings'), api('GET', '/chat/widget'),
    api('GET', '/property'), api('GET', '/admin/cloud').catch(() => null)]);
  // Linked to the cloud relay, the public website's tag loads the chat from the relay.
  const lanScript = snippet.script;
  // Opened through the relay, this page's own address is the relay's, not the hub's LAN one.
  const viaRelay = !!(cloud && cloud.public_url && new URL(cloud.public_url).host === location.host);
  if (cloud && cloud.public_url) {
    snippet.script = lanScript.replace(/src="[^"]*\/widget\.js"/, `src="${cloud.public_url}/widget.js"`);
  }
  const w = s.widget;
  const select = (value, options) => {
    const sel = el('select', {}, ...options.map(([v, label]) => el('option', { value: v }, label)));
    sel.value = value;
    return sel;
  };
  const f = {
    color: input(w.color, { type: 'color' }),
    title: input(w.title, { maxlength: 60 }),
    welcome: el('textarea', { maxlength: 500 }, w.welcome_text),
    icon: select(w.icon, [['bubble', 'Bubble'], ['chat', 'Speech'], ['bell', 'Bell']]),
    position: select(w.position, [['right', 'Bottom right'], ['left', 'Bottom left']]),
    language: select(w.language, [['auto', "The guest's browser language"], ['en', 'English'], ['pt', 'Português'],
      ['es', 'Español'], ['fr', 'Français'], ['de', 'Deutsch'], ['ru', 'Русский']]),
    initial: select(w.initial_state, [['collapsed', 'Collapsed'], ['open', 'Open'], ['hidden', 'Hidden'], ['welcome', 'Welcome message slid out']]),
    phone: input(w.phone, { maxlength: 30 }),
    calls: el('input', { type: 'checkbox', checked: w.calls, id: 'c-calls' }),
    links: el('textarea', { placeholder: 'Telegram | https://t.me/yourhotel' }, w.messenger_links.map((l) => `${l.label} | ${l.url}`).join('\n')),
    sites: el('textarea', { placeholder: 'https://www.yourhotel.com' }, (w.sites || []).join('\n')),
    distribution: select(s.distribution, [['auto', 'Automatic (round robin among online staff)'], ['manual', 'Manual']]),
    cap: input(s.max_dialogues_per_agent, { type: 'number', min: 1, max: 100 }),
    seeOthers: el('input', { type: 'checkbox', checked: s.agents_see_others }),
    autoClose: input(s.auto_close_minutes, { type: 'number', min: 0, max: 10080 }),
    unassignedDays: input(s.unassigned_close_days, { type: 'number', min: 1, max: 365 }),
    rating: el('input', { type: 'checkbox', checked: s.rating_enabled }),
    consentOn: el('input', { type: 'checkbox', checked: s.consent.enabled }),
    consentText: el('textarea', { maxlength: 1000 }, s.consent.text),
    consentLink: input(s.consent.link, { type: 'url' }),
    consentExcluded: input(s.consent.excluded_channels.join(', '), { placeholder: 'kiosk' }),
    welcomeBot: el('textarea', { maxlength: 1000 }, s.automation.welcome_message),
    keywords: el('textarea', { placeholder: 'wifi, wi-fi => The Wi-Fi is SeaviewGuests' }, keywordText(s.automation.keyword_answers)),
    handoff: input(s.automation.handoff_words.join(', '), { placeholder: 'human, person' }),
    pages: el('textarea', { placeholder: '/rooms | 30 | Need help choosing a room?' }, pageText(s.automation.page_messages)),
    identifyUrl: input(s.identification.identify_url, { type: 'url' }),
    detailsUrl: input(s.identification.details_url, { type: 'url' }),
    secret: input(s.identification.secret, { type: 'password', autocomplete: 'off' }),
    crmUrl: input(s.crm_webhook_url, { type: 'url' }),
    crmSecret: input(s.crm_webhook_secret, { type: 'password', autocomplete: 'off' }),
  };
  const base = () => ({
    widget: {
      color: f.color.value, title: f.title.value, welcome_text: f.welcome.value, icon: f.icon.value,
      position: f.position.value, language: f.language.value, initial_state: f.initial.value, phone: f.phone.value, calls: f.calls.checked,
      messenger_links: lines(f.links.value).map((l) => { const [label, url] = l.split('|'); return { label: (label || '').trim(), url: (url || '').trim() }; }),
      sites: lines(f.sites.value).map((l) => l.replace(/\/+$/, '')),
    },
    distribution: f.distribution.value,
    max_dialogues_per_agent: Number(f.cap.value),
    agents_see_others: f.seeOthers.checked,
    auto_close_minutes: Number(f.autoClose.value),
    unassigned_close_days: Number(f.unassignedDays.value),
    consent: { enabled: f.consentOn.checked, text: f.consentText.value, link: f.consentLink.value,
      excluded_channels: f.consentExcluded.value.split(',').map((c) => c.trim()).filter(Boolean) },
    identification: { identify_url: f.identifyUrl.value, details_url: f.detailsUrl.value, secret: f.secret.value },
    rating_enabled: f.rating.checked,
    automation: { welcome_message: f.welcomeBot.value, page_messages: parsePages(f.pages.value),
      keyword_answers: parseKeywords(f.keywords.value), handoff_words: f.handoff.value.split(',').map((x) => x.trim()).filter(Boolean) },
    crm_webhook_url: f.crmUrl.value,
    crm_webhook_secret: f.crmSecret.value,
  });
  const translations = translationsEditor(s, property.languages, base);
  const collect = () => translations.apply(base());
  for (const source of [f.title, f.welcome, f.consentText, f.welcomeBot, f.keywords, f.pages]) {
    source.addEventListener('change', translations.refresh);
  }

  // The live preview: the real widget frame in preview mode, fed the draft on every change.
  const preview = el('iframe', { src: '/widget/frame.html#preview=1', title: 'Widget preview', id: 'widget-preview',
    class: 'widget-preview' });
  const push = () => {
    const draft = collect();
    preview.contentWindow?.postMessage({ hotelhub: 'preview', settings: { widget: draft.widget, consent: draft.consent,
      rating_enabled: draft.rating_enabled, page_messages: [] } }, location.origin);
  };
  preview.addEventListener('load', push);

  const form = el('form', { class: 'card', id: 'chat-form' },
    el('h2', {}, 'Widget design'),
    el('div', { class: 'row' }, field('c-color', 'Colour', f.color), field('c-icon', 'Icon', f.icon), field('c-pos', 'Position', f.position)),
    field('c-title', 'Title', f.title),
    field('c-welcome', 'Welcome text', f.welcome),
    el('div', { class: 'row' }, field('c-initial', 'Initial state', f.initial), field('c-lang', 'Language', f.language), field('c-phone', 'Phone in the channels panel', f.phone)),
    el('label', {}, f.calls, ' Offer video and voice calls to reception in the channels panel (they ring every open Team Messenger; a camera needs the page on https)'),
    field('c-links', 'Messenger links (label | link, one per line)', f.links),
    field('c-sites', 'Your websites that show the chat (one address per line; empty: any site may)', f.sites),
    el('h2', {}, 'Distribution and timers'),
    el('div', { class: 'row' }, field('c-dist', 'Distribution', f.distribution), field('c-cap', 'Most open chats per person', f.cap)),
    el('label', {}, f.seeOthers, ' Agents may see colleagues\' chats'),
    el('div', { class: 'row' }, field('c-close', 'Close an assigned chat idle for (minutes, 0 = never)', f.autoClose),
      field('c-days', 'Close an unassigned chat idle for (days)', f.unassignedDays)),
    el('label', {}, f.rating, ' Ask guests to rate the chat at the end'),
    el('h2', {}, 'Privacy consent'),
    el('label', {}, f.consentOn, ' Ask for consent before a new chat'),
    field('c-ctext', 'Consent text', f.consentText),
    el('div', { class: 'row' }, field('c-clink', 'Privacy policy link', f.consentLink), field('c-cex', 'Channels without consent', f.consentExcluded)),
    el('h2', {}, 'Automatic messages and bot'),
    field('c-bot', 'Welcome message in a new chat', f.welcomeBot),
    field('c-kw', 'Keyword answers (words => answer, one per line)', f.keywords),
    field('c-handoff', 'Words that call a person', f.handoff),
    field('c-pages', 'Page messages (page contains | seconds | text, one per line)', f.pages),
    el('h2', {}, 'In other languages'),
    translations.element,
    el('h2', {}, 'Customer identification'),
    el('p', { class: 'muted' }, 'The widget POSTs to your site (with its cookies); answer {ok:true,id,name,signature} where signature is hex HMAC-SHA256 of id under the secret below. The hub then asks the details URL ?id=… itself.'),
    el('div', { class: 'row' }, field('c-idurl', 'Identify URL', f.identifyUrl), field('c-deturl', 'Details URL', f.detailsUrl)),
    field('c-secret', 'Shared secret', f.secret),
    el('h2', {}, 'Send to CRM'),
    el('div', { class: 'row' }, field('c-crm', 'Webhook URL', f.crmUrl), field('c-crmsecret', 'Signing secret', f.crmSecret)),
    el('div', { class: 'error', role: 'alert' }),
    el('p', { class: 'notice', id: 'chat-saved' }),
    el('button', { type: 'submit' }, 'Save'));
  form.addEventListener('input', push);
  form.addEventListener('change', push);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const saved = await submitting(form, () => api('PUT', '/admin/chat/settings', collect()));
    if (saved !== undefined) form.querySelector('#chat-saved').textContent = 'Saved. Open widgets use the new design now.';
  });

  const code = el('pre', { id: 'widget-snippet', class: 'snippet' }, snippet.script);
  const copied = el('span', { class: 'muted', role: 'status' });
  const copy = el('button', { type: 'button', class: 'secondary', onclick: async () => {
    copied.textContent = await copyText(snippet.script) ? ' Copied.' : ' Select the tag above and copy it.';
  } }, 'Copy');
  const guides = el('div', { class: 'card' },
    el('h2', {}, 'Put the chat on your website'),
    code, copy, copied,
    cloud && cloud.public_url
      ? el('div', {}, el('p', { class: 'muted' }, 'Who can reach it: the tag loads the chat through the hub\'s cloud relay, so guests anywhere can write. ' +
        'For a page on the hotel\'s own network only (the lobby, an intranet), a tag can load it straight from the hub' +
        (viaRelay ? ': open this page on the hotel\'s network to see it.' : ':')),
      viaRelay ? '' : el('pre', { class: 'snippet', id: 'widget-snippet-lan' }, lanScript))
      : el('p', { class: 'muted' }, 'Who can reach it: the tag loads the chat from this hub, so it works for guests on the hotel\'s own network. ' +
        'A website served over https needs the hub\'s https address (the tag above uses it) and a device that trusts the hub\'s certificate; ' +
        'guests elsewhere reach the chat once the hub is linked to its cloud relay (see Cloud relay).'),
    el('h3', {}, 'WordPress'), el('p', {}, 'Appearance → Theme File Editor → footer.php (or a "header and footer scripts" plugin): paste the tag just before </body>.'),
    el('h3', {}, 'Shopify'), el('p', {}, 'Online Store → Themes → Edit code → layout/theme.liquid: paste the tag just before </body>, then Save.'),
    el('h3', {}, 'Google Tag Manager'), el('p', {}, 'Tags → New → Custom HTML: paste the tag, trigger "All Pages", then Submit and Publish.'),
    el('p', { class: 'muted' }, 'Options on the tag: data-state="open|collapsed|hidden|welcome", data-tags="room-12,spa". From your page: HotelHubChat.openChat(), closeChat(), hideWidget(), showWidget(), openChannelsPanel(), setUser({name, email, phone}), HotelHubChat.on("message", fn).'));
  return el('div', { class: 'chat-settings' },
    el('div', { class: 'chat-settings-form' }, form, guides),
    el('div', { class: 'chat-settings-preview' }, el('h2', {}, 'Preview'), preview));
}
