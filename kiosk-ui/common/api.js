// The hub's JSON API from the browser: same-origin fetch with the session cookie, errors
// thrown as ApiError carrying the hub's {error:{code,message}}.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function api(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: {} };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(`/api/v1${path}`, init);
  } catch {
    throw new ApiError(0, 'network', 'The hub cannot be reached. Check the connection.');
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const err = data && data.error ? data.error : { code: 'http', message: response.statusText };
    throw new ApiError(response.status, err.code, err.message);
  }
  return data;
}

// Small DOM helper: el('button', {class: 'x', onclick}, 'text', child…). Text is always
// set as text, never parsed as HTML.
// A random id for a client-side message or file (resend and acknowledgement match on it).
// crypto.randomUUID exists only on secure pages, and guests reach the widget over plain HTTP
// on the hotel's Wi-Fi; getRandomValues exists everywhere.
export function clientId(prefix) {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `${prefix}-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, '');
    else if (value !== false && value != null) node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child != null) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Shows a form's failure in its .error element; clears it on success.
export function submitting(form, action) {
  return busy(form.querySelector('button[type=submit]'), form.querySelector('.error'), action);
}

// The same for a control outside a form: `button` is off while `action` runs, so a second
// press cannot send twice; the result, or undefined after a failure shown in `error`.
export async function busy(button, error, action) {
  if (error) error.textContent = '';
  if (button) button.disabled = true;
  try {
    return await action();
  } catch (e) {
    if (error) error.textContent = e.message;
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

// Copies `text`: the Clipboard API where the page may use it (secure pages), else a
// selected hidden text area and the older copy command. Resolves true when it worked.
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch { /* fall back below */ }
  const area = el('textarea', { class: 'offscreen', readonly: true }, text);
  document.body.append(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  return ok;
}
