// The QR plate and sticker editor (GUEST-7): size, texts, colours and logo, with a live
// preview of any unit's plate (or the Wi-Fi's), downloads as PNG, PDF and SVG, every plate
// in one PDF and a print view.
import { api, el, submitting } from '/common/api.js';
import { field, input } from '/common/forms.js';

const FORMATS = [['a6_plate', 'Plate A6, 105 × 148 mm'], ['a5_plate', 'Plate A5, 148 × 210 mm'],
  ['sticker50', 'Sticker 50 × 50 mm'], ['sticker70', 'Sticker 70 × 70 mm']];
const LOGO_TYPES = ['image/png', 'image/jpeg', 'image/svg+xml'];
// A file name for a unit's plate that any computer can keep: the unit's own name.
const fileName = (name) => `plate-${name.replace(/[\\/:*?"<>|\s]+/g, '-')}`;
const LOGO_MAX = 200 * 1024;

// `base()` is the address phones open, as chosen in the page addresses card.
export function platesCard(pages, base) {
  const saved = { current: null };
  const format = el('select', {}, FORMATS.map(([v, t]) => el('option', { value: v }, t)));
  const sheet = el('input', { type: 'checkbox', id: 'plate-sheet' });
  const sheetRow = el('label', {}, sheet, ' Print four to an A4 sheet, to cut along the lines');
  const sizeNote = el('p', { class: 'muted', id: 'plate-size-note' });
  const drawSize = () => {
    sheetRow.hidden = format.value !== 'a6_plate';
    sizeNote.textContent = {
      a6_plate: 'One plate a page of its size, or four to an A4 sheet.',
      a5_plate: 'One plate a page of its size.',
      sticker50: 'Fifteen to an A4 sheet. A small sticker has room for less: what does not fit goes, the address first, then the text under the code, then the logo.',
      sticker70: 'Six to an A4 sheet. What does not fit goes, the address first, then the text under the code, then the logo.',
    }[format.value];
  };
  format.addEventListener('change', drawSize);
  const heading = input('', { maxlength: 80 });
  const invitation = el('textarea', { maxlength: 200, rows: 2 });
  const showRoom = el('input', { type: 'checkbox' });
  const showAddress = el('input', { type: 'checkbox' });
  const background = input('#ffffff', { type: 'color' });
  const ink = input('#1d2327', { type: 'color' });
  const accent = input('#1f6f8b', { type: 'color' });
  let logo = '';
  const logoFile = el('input', { type: 'file', accept: 'image/png,image/jpeg,image/svg+xml', id: 'plate-logo' });
  const logoNote = el('span', { class: 'muted', id: 'plate-logo-note' });
  const removeLogo = el('button', { type: 'button', class: 'secondary', onclick: () => { logo = ''; logoFile.value = ''; drawLogo(); changed(); } }, 'Remove logo');
  const drawLogo = () => { logoNote.textContent = logo ? 'A logo is on the plates.' : 'No logo.'; removeLogo.hidden = !logo; };
  const error = el('div', { class: 'error', role: 'alert' });
  logoFile.addEventListener('change', () => {
    const file = logoFile.files[0];
    if (!file) return;
    if (!LOGO_TYPES.includes(file.type)) {
      error.textContent = 'The logo must be a PNG, JPEG or SVG picture.';
      logoFile.value = '';
      return;
    }
    if (file.size > LOGO_MAX) {
      error.textContent = `The logo is ${Math.round(file.size / 1024)} KB; a logo can be at most 200 KB.`;
      logoFile.value = '';
      return;
    }
    const reader = new FileReader();
    reader.addEventListener('load', () => { logo = reader.result; error.textContent = ''; drawLogo(); changed(); });
    reader.readAsDataURL(file);
  });

  const draft = () => ({
    format: format.value, sheet: sheet.checked, heading: heading.value, invitation: invitation.value, show_room: showRoom.checked,
    show_address: showAddress.checked, logo, background: background.value, ink: ink.value, accent: accent.value,
  });
  const fill = (d) => {
    format.value = d.format; sheet.checked = d.sheet; heading.value = d.heading; invitation.value = d.invitation;
    showRoom.checked = d.show_room; showAddress.checked = d.show_address; logo = d.logo;
    background.value = d.background; ink.value = d.ink; accent.value = d.accent;
    drawLogo();
    drawSize();
  };

  // The preview: the draft on the chosen unit's plate, drawn by the hub as the PDF will be.
  const subjects = [...pages.map((p) => [String(p.room_id), p.room]), ['property', 'The hotel (lobby, website)'], ['wifi', 'Wi-Fi network']];
  const which = el('select', { 'aria-label': 'Plate of' }, subjects.map(([v, t]) => el('option', { value: v }, t)));
  const image = el('div', { id: 'plate-preview', role: 'img', 'aria-label': 'Plate preview', 'data-drawn': '0' });
  const status = el('p', { class: 'muted', id: 'plate-status' });
  const downloads = el('p', { class: 'plate-downloads' });
  const dirty = () => saved.current && JSON.stringify(draft()) !== JSON.stringify(saved.current);
  const drawDownloads = () => {
    const b = encodeURIComponent(base());
    const one = { wifi: '/api/v1/admin/reception/wifi/plate', property: '/api/v1/admin/reception/property/plate' }[which.value]
      || `/api/v1/admin/reception/pages/${which.value}/plate`;
    const link = (href, text, name) => el('a', { href, ...(name ? { download: name } : { target: '_blank', rel: 'noopener' }) }, text);
    const name = fileName(subjects.find(([v]) => v === which.value)[1]);
    downloads.replaceChildren(
      link(`${one}?format=png&base=${b}`, 'PNG', `${name}.png`), ' · ',
      link(`${one}?format=pdf&base=${b}`, 'PDF', `${name}.pdf`), ' · ',
      link(`${one}?format=svg&base=${b}`, 'SVG', `${name}.svg`), ' · ',
      link(`/api/v1/admin/reception/plates.pdf?base=${b}`, 'Every plate in one PDF', 'plates.pdf'), ' · ',
      link(`/api/v1/admin/reception/plates/print?base=${b}`, 'Print view'));
    form.dataset.unsaved = dirty() ? 'true' : 'false';
    status.textContent = dirty() ? 'Showing your changes. Save them before you download or print.' : 'Showing the saved design.';
  };
  let timer = null;
  const refresh = async () => {
    const unit = !['wifi', 'property'].includes(which.value);
    const body = { design: draft(), room_id: unit ? Number(which.value) : null, property: which.value === 'property', base: base() };
    const response = await fetch('/api/v1/admin/reception/plate/preview', {
      method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    }).catch(() => null);
    if (!response || !response.ok) {
      const data = response ? await response.json().catch(() => null) : null;
      status.textContent = data?.error?.message || 'The hub cannot be reached. Check the connection.';
      return;
    }
    // The hub's own drawing, parsed as SVG (never as HTML) and shown inline, so that it
    // scales with the card and its text can be read by a screen reader.
    const svg = new DOMParser().parseFromString(await response.text(), 'image/svg+xml').documentElement;
    if (svg.nodeName !== 'svg') return;
    image.replaceChildren(document.importNode(svg, true));
    image.dataset.drawn = String(Number(image.dataset.drawn) + 1);
    drawDownloads();
  };
  const changed = () => { clearTimeout(timer); timer = setTimeout(refresh, 300); };
  which.addEventListener('change', refresh);

  const form = el('form', { class: 'card', id: 'plates' },
    el('h2', {}, 'QR plates and stickers'),
    el('p', { class: 'muted' }, 'A plate for every room\'s door or a sticker for a villa\'s keys or a car\'s dashboard. Guests scan it to open their unit\'s page.'),
    el('div', { class: 'plate-editor' },
      el('div', {},
        field('plate-format', 'Size', format), sheetRow, sizeNote,
        field('plate-heading', 'Heading', heading),
        field('plate-invitation', 'Under the code', invitation),
        el('p', { class: 'muted' }, 'Long texts are set smaller; what still does not fit ends in “…”: the preview shows it.'),
        el('label', {}, showRoom, ' The unit\'s name in large letters'),
        el('label', {}, showAddress, ' The page\'s address in small letters'),
        el('div', { class: 'row' }, field('plate-background', 'Background', background), field('plate-ink', 'Text', ink),
          field('plate-accent', 'Frame and heading', accent)),
        field('plate-logo', 'Logo (PNG, JPEG or SVG, at most 200 KB)', logoFile), el('p', {}, logoNote, ' ', removeLogo),
        error, el('p', { class: 'notice', id: 'plate-saved' }), el('button', { type: 'submit' }, 'Save')),
      el('div', { class: 'plate-preview' }, field('plate-of', 'Plate of', which), image, status, downloads)));
  form.addEventListener('input', (e) => { if (e.target !== logoFile) changed(); });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const result = await submitting(form, () => api('PUT', '/admin/reception/plate', draft()));
    if (result) {
      saved.current = result;
      form.querySelector('#plate-saved').textContent = 'Saved.';
      drawDownloads();
    }
  });
  // The address card's choice of address changes what the codes hold.
  document.addEventListener('guest-base-changed', refresh);
  api('GET', '/admin/reception/plate').then((d) => { saved.current = d; fill(d); refresh(); })
    .catch((e) => { error.textContent = e.message; });
  return form;
}
