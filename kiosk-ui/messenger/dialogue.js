// One open conversation: messages (private notes marked), the composer with `/` shortcuts,
// attachments and private notes, the agent actions and the visitor card.
import { api, clientId, el } from '/common/api.js';
import { MessageList, messageItem, sendFile } from '/common/messages.js';

// Dialogues from a messenger (CLOUD-2) say so; Meta's take free text only within 24 hours
// of the guest's last message, so the agent is told before sending outside it.
const CHANNELS = { telegram: 'Telegram', viber: 'Viber', whatsapp: 'WhatsApp', messenger: 'Facebook Messenger' };

function time(at) {
  return at ? new Date(at).toLocaleString([], { dateStyle: 'short', timeStyle: 'short' }) : '';
}

function attachmentNode(a) {
  const url = `/api/v1/chat/attachments/${a.id}`;
  if (a.content_type.startsWith('image/')) return el('a', { href: url, target: '_blank' }, el('img', { src: url, alt: a.file_name }));
  return el('a', { href: url, download: a.file_name }, `📄 ${a.file_name}`);
}

function messageNode(m) {
  return messageItem(m, `m ${m.private ? 'private' : m.author_kind}`,
    m.author_kind === 'system' ? null : `${m.private ? '🔒 ' : ''}${m.author_name || 'Guest'} · ${time(m.at)}`,
    attachmentNode);
}

// A paperclip drawn, not an emoji: not every device has an emoji font.
function clip() {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '20');
  svg.setAttribute('height', '20');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', 'M16.5 6.5 8.6 14.4a2 2 0 0 0 2.8 2.8l8-8a4 4 0 0 0-5.6-5.6l-8 8a6 6 0 0 0 8.5 8.5l7.2-7.2');
  for (const [k, v] of [['fill', 'none'], ['stroke', 'currentColor'], ['stroke-width', '2'], ['stroke-linecap', 'round'], ['stroke-linejoin', 'round']]) path.setAttribute(k, v);
  svg.append(path);
  return svg;
}

export class DialogueView {
  constructor(ctx, detail) {
    this.ctx = ctx;
    this.detail = detail;
    this.id = detail.dialogue.id;
    this.note = false;
    this.render();
  }

  render() {
    // A redraw (joining, a colleague's change) keeps what the member was typing.
    const draft = this.textarea ? this.textarea.value : '';
    const typingHere = Boolean(this.textarea) && document.activeElement === this.textarea;
    const { dialogue, visitor, members } = this.detail;
    const me = this.ctx.me;
    const member = members.some((m) => m.id === me.id);
    const open = dialogue.state !== 'ended';
    this.list = el('ol', { class: 'msgs' });
    this.messages = new MessageList(this.list, messageNode);
    this.typing = el('p', { class: 'typing-line' });
    const actions = [];
    const act = (label, path, extra = {}) => el('button', { class: 'secondary', ...extra, onclick: () => this.action(path) }, label);
    if (open && !member) actions.push(act('Join', 'join', { class: 'join' }));
    if (open && member && dialogue.kind === 'guest') actions.push(act('End', 'end'), act('Leave', 'leave'));
    if (member) actions.push(act('Mark unread', 'unread'));
    if (dialogue.kind === 'guest') {
      if (open) actions.push(this.colleaguePicker('Assign to…', 'assign'), this.colleaguePicker('Invite…', 'invite'));
      actions.push(el('button', { class: 'secondary', onclick: () => this.transcript() }, 'Transcript'));
      actions.push(el('button', { class: 'secondary', onclick: () => this.action('crm') }, 'Send to CRM'));
      if (visitor?.ip) actions.push(el('button', { class: 'danger', onclick: () => this.block(visitor.ip) }, 'Block'));
    }
    const title = dialogue.kind === 'direct'
      ? members.filter((m) => m.id !== me.id).map((m) => m.name).join(', ')
      : `${visitor?.display_name || 'Guest'}${this.detail.online ? ' · online' : ''}`;
    this.textarea = el('textarea', { placeholder: member || dialogue.kind === 'direct' ? 'Reply… ( / for shortcuts)' : 'Join to reply, or write a private note', 'aria-label': 'Reply' });
    this.textarea.value = draft;
    this.shortcutList = el('ul', { class: 'shortcuts', hidden: true });
    // A private note hides a line from the guest: colleague-only chats have no guest.
    const noteToggle = dialogue.kind === 'direct' ? null : el('label', { class: 'note-label' }, el('input', { type: 'checkbox', class: 'note-toggle', onchange: (e) => { this.note = e.target.checked; this.composer.classList.toggle('note', this.note); } }), ' Private note');
    if (noteToggle) noteToggle.querySelector('input').checked = this.note;
    const file = el('input', { type: 'file', hidden: true, onchange: (e) => this.attach(e) });
    this.composer = el('form', { class: 'composer', onsubmit: (e) => { e.preventDefault(); this.send(); } },
      this.shortcutList,
      el('label', { class: 'secondary attach', title: 'Attach a file', 'aria-label': 'Attach a file', tabindex: 0, role: 'button',
        onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); file.click(); } } }, clip(), file),
      this.textarea, noteToggle, el('button', { type: 'submit' }, 'Send'));
    this.composer.classList.toggle('note', this.note);
    this.textarea.addEventListener('input', () => this.onInput());
    this.textarea.addEventListener('keydown', (e) => this.onKey(e));
    // On a phone the list, the conversation and the guest's card are screens of their own.
    const back = el('button', { type: 'button', class: 'secondary back', 'aria-label': 'Back to the list',
      onclick: () => document.body.classList.remove('in-conversation', 'show-card') }, '‹ Back');
    const card = dialogue.kind === 'direct' ? null : el('button', { type: 'button', class: 'secondary card-toggle',
      onclick: () => document.body.classList.toggle('show-card') }, 'Guest');
    document.body.classList.add('in-conversation');
    document.body.classList.remove('show-card');
    const via = CHANNELS[dialogue.channel] ? el('span', { class: 'pill channel' }, `via ${CHANNELS[dialogue.channel]}`) : null;
    this.windowLine = el('p', { class: 'window-line', role: 'status', hidden: true });
    this.windowClosed = false;
    if (open && (dialogue.channel === 'whatsapp' || dialogue.channel === 'messenger')) this.loadWindow(dialogue.id);
    const conv = el('div', { class: 'conv' },
      el('div', { class: 'conv-head' }, back, el('h2', {}, title), via, el('span', { class: 'pill state' }, dialogue.state), card,
        el('div', { class: 'conv-actions' }, ...actions)),
      this.list, this.typing, this.windowLine, open || dialogue.kind === 'direct' ? this.composer : el('p', { class: 'muted ended' }, dialogue.rating ? `Ended · rated ${dialogue.rating}/5` : 'Ended'));
    // On a phone the actions are one row that scrolls sideways: fade its edge while more
    // are out of sight.
    const actionsRow = conv.querySelector('.conv-actions');
    const hint = () => actionsRow.classList.toggle('more',
      actionsRow.scrollLeft + actionsRow.clientWidth < actionsRow.scrollWidth - 2);
    actionsRow.addEventListener('scroll', hint, { passive: true });
    new ResizeObserver(hint).observe(actionsRow);
    const pane = this.ctx.pane;
    pane.replaceChildren(conv, this.cardPane());
    if (typingHere) this.textarea.focus();
    for (const m of this.detail.messages) this.add(m);
    this.oldest = this.detail.messages.length ? this.detail.messages[0].seq : 0;
    this.olderButton();
    this.markRead();
  }

  /** "Load older" at the top while the conversation goes further back than what is shown. */
  olderButton() {
    this.list.querySelector('.older-row')?.remove();
    if (this.oldest <= 1) return;
    const button = el('button', { class: 'secondary older', onclick: async () => {
      try {
        const page = await api('GET', `/chat/dialogues/${this.id}/messages?before_seq=${this.oldest}`);
        this.messages.prepend(page);
        this.oldest = page.length ? page[0].seq : 1;
        this.olderButton();
      } catch (e) { this.ctx.notify(e.message); }
    } }, 'Load older messages');
    this.list.prepend(el('li', { class: 'older-row' }, button));
  }

  colleaguePicker(label, path) {
    const select = el('select', { 'aria-label': label, class: `pick-${path}` }, el('option', { value: '' }, label),
      ...this.ctx.team.filter((t) => t.id !== this.ctx.me.id).map((t) => el('option', { value: t.id }, t.nickname || t.name)));
    select.addEventListener('change', async () => {
      if (!select.value) return;
      await this.action(path, { user_id: Number(select.value) });
    });
    return select;
  }

  cardPane() {
    const v = this.detail.visitor;
    if (!v) return el('aside', { class: 'card-pane' }, el('p', { class: 'muted' }, 'Direct conversation'));
    const field = (name, value) => el('input', { name, value: value || '', 'aria-label': name });
    const form = el('form', { class: 'visitor-form', onsubmit: async (e) => {
      e.preventDefault();
      const f = new FormData(form);
      try {
        await api('PATCH', `/chat/visitors/${v.id}`, {
          name: f.get('name'), email: f.get('email'), phone: f.get('phone'), notes: f.get('notes'),
          tags: String(f.get('tags')).split(',').map((t) => t.trim()).filter(Boolean),
        });
        this.ctx.notify('Visitor card saved');
      } catch (err) { this.ctx.notify(err.message); }
    } },
    el('label', {}, 'Name'), field('name', v.name),
    el('label', {}, 'E-mail'), field('email', v.email),
    el('label', {}, 'Phone'), field('phone', v.phone),
    el('label', {}, 'Tags'), field('tags', v.tags.join(', ')),
    el('label', {}, 'Notes'), el('textarea', { name: 'notes', 'aria-label': 'notes' }, v.notes),
    el('button', { type: 'submit' }, 'Save'));
    const utm = Object.entries(v.utm || {}).map(([k, val]) => `${k}=${val}`).join(' ');
    const customer = v.customer_id ? `${v.customer_id} ${JSON.stringify(v.customer_details)}` : '';
    // A guest writing from a unit's guest page (/r/<slug>): the unit, and who stays there.
    const slug = (() => {
      try { return new URL(v.page_url).pathname.match(/^\/r\/([a-z0-9-]+)$/)?.[1]; } catch { return null; }
    })();
    const unit = slug ? el('dd', { class: 'unit-now' }, '…') : null;
    if (slug) {
      api('GET', `/reception/pages/${slug}/now`).then(({ page, stay }) => {
        unit.textContent = stay
          ? `${page.room} · ${stay.guest_name || 'a guest'}, ${stay.check_in} to ${stay.check_out} (${stay.status.replace('_', ' ')})`
          : `${page.room} · no stay under way`;
      }).catch(() => { unit.textContent = 'unknown (the page moved)'; });
    }
    const messenger = CHANNELS[this.detail.dialogue.channel] ? this.detail.dialogue.channel : null;
    const room = (v.tags || []).find((t) => t.startsWith('room-'))?.slice(5).replace(/-+/g, ' ');
    return el('aside', { class: 'card-pane visitor-card' },
      el('h3', {}, v.display_name),
      el('dl', {},
        unit ? [el('dt', {}, 'Unit'), unit] : null,
        el('dt', {}, 'Visits'), el('dd', { class: 'visits' }, v.visits),
        // A messenger guest has a room from their link (or none yet), not a web page.
        messenger
          ? [el('dt', {}, 'Writes on'), el('dd', {}, CHANNELS[messenger]),
            el('dt', {}, 'Room'), el('dd', { class: 'room' }, room || 'not given yet')]
          : [el('dt', {}, 'Page'), el('dd', { class: 'page' }, v.page_title || v.page_url),
            el('dt', {}, 'Referrer'), el('dd', {}, v.referrer || '—'),
            el('dt', {}, 'UTM'), el('dd', {}, utm || '—'),
            el('dt', {}, 'IP'), el('dd', { class: 'ip' }, v.ip),
            el('dt', {}, 'Location'), el('dd', {}, v.location || 'unknown')],
        el('dt', {}, 'Customer'), el('dd', {}, customer || '—'),
        el('dt', {}, 'Staff'), el('dd', {}, this.detail.members.map((m) => m.name).join(', ') || '—'),
        el('dt', {}, 'First seen'), el('dd', {}, time(v.first_seen))),
      form);
  }

  add(m) {
    if (this.messages.add(m)) this.lastSeq = Math.max(this.lastSeq || 0, m.seq);
    // Whoever was typing has sent it (or the dialogue ended).
    if (m.author_kind !== 'staff') this.showTyping('', false);
  }

  markRead() {
    if (this.lastSeq) this.ctx.socket.send({ type: 'read', dialogue_id: this.id, seq: this.lastSeq });
  }

  // A typing line clears on "stopped", on the next message, and by itself after 6 s
  // without news (a client that went away never says it stopped).
  showTyping(who, on) {
    clearTimeout(this.typingExpiry);
    this.typing.textContent = on ? `${who} is typing…` : '';
    if (on) this.typingExpiry = setTimeout(() => { this.typing.textContent = ''; }, 6000);
  }
  showGuestRead(seq) { this.typing.textContent = seq >= (this.lastSeq || 0) ? '✓ Seen' : ''; }

  async action(path, body) {
    try {
      await api('POST', `/chat/dialogues/${this.id}/${path}`, body);
      await this.ctx.openDialogue(this.id);
      this.ctx.refreshLists();
    } catch (e) { this.ctx.notify(e.message); }
  }

  async transcript() {
    const email = prompt('Send the transcript to (empty: the guest\'s address):', '');
    if (email === null) return;
    try {
      await api('POST', `/chat/dialogues/${this.id}/transcript`, { email: email || null });
      this.ctx.notify('Transcript sent');
    } catch (e) { this.ctx.notify(e.message); }
  }

  async block(ip) {
    if (!confirm(`Block ${ip}? The guest's chat will be refused from that address.`)) return;
    try {
      await api('POST', '/chat/blocks', { ip, reason: `dialogue ${this.id}` });
      this.ctx.notify(`${ip} is blocked`);
    } catch (e) { this.ctx.notify(e.message); }
  }

  async loadWindow(id) {
    const w = await api('GET', `/messengers/dialogues/${id}`).catch(() => null);
    if (!w || !w.closes_at || this.id !== id) return;
    const at = new Date(w.closes_at).toLocaleString([], { weekday: 'short', hour: '2-digit', minute: '2-digit' });
    this.windowClosed = !w.open;
    this.windowLine.hidden = false;
    this.windowLine.classList.toggle('closed', !w.open);
    this.windowLine.textContent = w.open
      ? `${w.label} delivers your replies until ${at}; after that, only once the guest writes again.`
      : `${w.label} will not deliver a reply now: the guest last wrote more than 24 hours ago. It reaches them only if they write again.`;
  }

  send() {
    const body = this.textarea.value.trim();
    if (!body) return;
    if (this.windowClosed && !this.note && !confirm(`${this.windowLine.textContent}\n\nSend it anyway? It stays in the conversation.`)) return;
    this.textarea.value = '';
    this.shortcutList.hidden = true;
    this.typingStop();
    this.ctx.socket.send({ type: 'send', client_id: clientId('m'), dialogue_id: this.id, body, private: this.note });
  }

  async attach(e) {
    const file = e.target.files[0];
    e.target.value = '';
    if (!file) return;
    const refused = await sendFile(`/api/v1/chat/dialogues/${this.id}/attachments`, file);
    if (refused !== null) this.ctx.notify(refused || 'The file could not be sent');
  }

  onInput() {
    const v = this.textarea.value;
    const match = /(?:^|\s)\/([\w-]*)$/.exec(v);
    if (!match) { this.shortcutList.hidden = true; this.typingPing(); return; }
    const prefix = match[1].toLowerCase();
    const found = this.ctx.shortcuts.filter((s) => s.code.startsWith(prefix)).slice(0, 8);
    this.shortcutList.replaceChildren(...found.map((s, i) => el('li', { class: i === 0 ? 'active' : '', 'data-code': s.code, onmousedown: (e) => { e.preventDefault(); this.insert(s); } }, `/${s.code} — ${s.body.slice(0, 60)}`)));
    this.shortcutList.hidden = found.length === 0;
    this.found = found;
  }

  onKey(e) {
    if (!this.shortcutList.hidden && (e.key === 'Enter' || e.key === 'Tab') && this.found?.length) {
      e.preventDefault();
      this.insert(this.found[0]);
      return;
    }
    if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); this.send(); }
  }

  insert(s) {
    this.textarea.value = this.textarea.value.replace(/\/[\w-]*$/, s.body);
    this.shortcutList.hidden = true;
    this.textarea.focus();
  }

  // "Typing" at most every 3 s while keys come, "stopped" 4 s after the last one or on send.
  typingPing() {
    const now = Date.now();
    if (!this.note && now - (this.lastTyping || 0) > 3000) {
      this.lastTyping = now;
      this.ctx.socket.send({ type: 'typing', dialogue_id: this.id, on: true });
    }
    clearTimeout(this.typingIdle);
    if (this.lastTyping) this.typingIdle = setTimeout(() => this.typingStop(), 4000);
  }

  typingStop() {
    clearTimeout(this.typingIdle);
    if (!this.lastTyping) return;
    this.lastTyping = 0;
    this.ctx.socket.send({ type: 'typing', dialogue_id: this.id, on: false });
  }
}
