// A chat message as the widget and the Team Messenger show it, a list that shows each
// message once, and sending a file into the chat.
import { clientId, el } from '/common/api.js';

/**
 * One message: `who` wrote it (null for none) above its text or its file. `attachment(a)`
 * makes the file's node, since guests fetch files with their token and staff with cookies.
 */
export function messageItem(m, cls, who, attachment) {
  return el('li', { class: cls, 'data-id': m.id, 'data-seq': m.seq },
    who == null ? null : el('span', { class: 'who' }, who),
    m.attachment ? attachment(m.attachment) : m.body);
}

/** A resume or a resend can bring a message again: it shows once, in place of its pending copy. */
export class MessageList {
  constructor(list, render) {
    this.list = list;
    this.render = render;
    this.shown = new Set();
  }

  /** False when the message was shown already. */
  add(m) {
    if (this.shown.has(m.id)) return false;
    this.shown.add(m.id);
    const node = this.render(m);
    const pending = m.client_id && this.list.querySelector(`[data-client-id="${CSS.escape(m.client_id)}"]`);
    if (pending) pending.replaceWith(node);
    else this.list.append(node);
    this.list.scrollTop = this.list.scrollHeight;
    return true;
  }

  /** An earlier page goes above what is shown. */
  prepend(page) {
    const fresh = page.filter((m) => !this.shown.has(m.id));
    for (const m of fresh) this.shown.add(m.id);
    this.list.prepend(...fresh.map((m) => this.render(m)));
  }

  clear() {
    this.list.replaceChildren();
    this.shown.clear();
  }
}

/** Uploads `file` as a chat message; resolves to null once sent, else to the hub's reason ('' if it gave none). */
export async function sendFile(url, file, headers) {
  const r = await fetch(url, {
    method: 'POST', body: file, credentials: 'same-origin',
    headers: { 'x-file-name': encodeURIComponent(file.name), 'x-client-id': clientId('f'),
      'content-type': 'application/octet-stream', ...headers },
  });
  if (r.ok) return null;
  return (await r.json().catch(() => null))?.error?.message || '';
}
