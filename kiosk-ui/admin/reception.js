// The Online Reception's editor (GUEST-1…9): the guest page's blocks, texts in each of the
// property's languages, Wi-Fi and times, with a live preview in phone, tablet and desktop
// frames; each unit's page address and QR codes; the plates (plates.js); the places directory.
import { api, copyText, el, submitting } from '/common/api.js';
import { field, input } from '/common/forms.js';
import { platesCard } from '/admin/plates.js';
import { languageName } from '/admin/translations.js';

const BLOCKS = {
  title: 'Title and invitation', reservation: 'My stay (the guest\'s own booking)', information: 'Useful information',
  glance: 'At a glance (city, time, weather, sun)', weather: 'Weather forecast', places: 'Places nearby', chat: 'Chat',
};
const TEXTS = [
  ['title', 'Title', 120, false], ['invitation', 'Invitation', 1000, true], ['city', 'City, as guests read it', 80, false],
  ['house_rules', 'House rules', 4000, true], ['breakfast', 'Breakfast', 1000, true], ['notes', 'More information', 4000, true],
];
const CATEGORIES = {
  taxi: 'Taxi', restaurant: 'Restaurant', cafe: 'Café', shop: 'Shop', pharmacy: 'Pharmacy', hospital: 'Hospital',
  parking: 'Parking', transport: 'Transport', beach: 'Beach', sight: 'Sight', other: 'Other',
};
const FRAMES = [['phone', 'Phone', 390, 844], ['tablet', 'Tablet', 820, 1180], ['desktop', 'Desktop', 1366, 800]];
const slug = (tag) => tag.replace(/[^a-zA-Z0-9]/g, '');

export async function receptionView() {
  const [design, pages, property, { addresses }] = await Promise.all([
    api('GET', '/admin/reception/design'), api('GET', '/admin/reception/pages'), api('GET', '/property'),
    api('GET', '/reception/addresses')]);
  const root = el('div', { id: 'reception' });
  const base = () => (localStorage.getItem('hub.guestBase') || addresses[0] || location.origin).replace(/\/+$/, '');
  root.append(designCard(design, pages, property.languages), pagesCard(pages, addresses), platesCard(pages, base),
    await placesCard(property.languages));
  return root;
}

// A text with a box per language: the default's, then each other language's, which falls
// back to the default when empty.
function textField(name, label, max, multi, text, languages) {
  const box = (tag, value, placeholder) => {
    const attrs = { maxlength: max, 'data-lang': tag, placeholder: placeholder || '' };
    return multi ? el('textarea', attrs, value || '') : el('input', { ...attrs, value: value || '' });
  };
  const main = box(languages[0], text.text);
  const others = languages.slice(1).map((tag) => [tag, box(tag, text.translations[tag], languageName(tag))]);
  const read = () => ({
    text: main.value,
    translations: Object.fromEntries(others.filter(([, b]) => b.value.trim()).map(([tag, b]) => [tag, b.value])),
  });
  const element = el('div', { class: 'page-text' }, field(`g-${name}`, label, main),
    others.length ? el('details', {}, el('summary', {}, `${label} in other languages`),
      others.map(([tag, b]) => field(`g-${name}-${slug(tag)}`, languageName(tag), b))) : null);
  return { element, read };
}

function designCard(design, pages, languages) {
  const blocks = design.blocks.map((b) => ({ ...b }));
  const list = el('ol', { class: 'page-blocks', id: 'page-blocks' });
  const texts = Object.fromEntries(TEXTS.map(([name, label, max, multi]) =>
    [name, textField(name, label, max, multi, design[name] || { text: '', translations: {} }, languages)]));
  const accent = input(design.accent, { type: 'color' });
  const wifi = design.wifi || { ssid: '', password: '', security: 'WPA', hidden: false };
  const ssid = input(wifi.ssid, { maxlength: 32, autocomplete: 'off' });
  const password = input(wifi.password, { maxlength: 63, autocomplete: 'off' });
  const security = el('select', {}, [['WPA', 'WPA/WPA2/WPA3'], ['WEP', 'WEP'], ['nopass', 'Open (no password)']]
    .map(([v, t]) => el('option', { value: v, selected: wifi.security === v }, t)));
  const hidden = el('input', { type: 'checkbox', checked: wifi.hidden });
  const checkIn = input(design.check_in, { placeholder: 'HH:MM', pattern: '([01]\\d|2[0-3]):[0-5]\\d', inputmode: 'numeric' });
  const checkOut = input(design.check_out, { placeholder: 'HH:MM', pattern: '([01]\\d|2[0-3]):[0-5]\\d', inputmode: 'numeric' });
  const chatState = el('select', {}, [['collapsed', 'A button'], ['welcome', 'A button with the welcome text'], ['open', 'Open']]
    .map(([v, t]) => el('option', { value: v, selected: design.chat_state === v }, t)));
  const byPosition = el('input', { type: 'checkbox', id: 'g-by-position', checked: Boolean(design.weather_by_position) });

  const draft = () => ({
    blocks: blocks.map((b) => ({ kind: b.kind, on: b.on, ...(b.colour ? { colour: b.colour } : {}) })),
    ...Object.fromEntries(Object.entries(texts).map(([name, t]) => [name, t.read()])),
    accent: accent.value,
    wifi: ssid.value.trim() ? { ssid: ssid.value.trim(), password: password.value, security: security.value, hidden: hidden.checked } : null,
    check_in: checkIn.value.trim(), check_out: checkOut.value.trim(),
    chat_state: chatState.value,
    weather_by_position: byPosition.checked,
  });

  const drawBlocks = () => list.replaceChildren(...blocks.map((b, i) => {
    const on = el('input', { type: 'checkbox', checked: b.on, 'aria-label': `Show ${BLOCKS[b.kind]}` });
    on.addEventListener('change', () => { b.on = on.checked; changed(); });
    const own = el('input', { type: 'checkbox', checked: Boolean(b.colour), 'aria-label': `${BLOCKS[b.kind]}: a colour of its own` });
    const colour = el('input', { type: 'color', value: b.colour || '#ffffff', disabled: !b.colour, 'aria-label': `${BLOCKS[b.kind]} colour` });
    own.addEventListener('change', () => { colour.disabled = !own.checked; b.colour = own.checked ? colour.value : null; changed(); });
    colour.addEventListener('input', () => { b.colour = colour.value; changed(); });
    const move = (by, label) => el('button', { type: 'button', class: 'secondary', 'aria-label': `${label}: ${BLOCKS[b.kind]}`,
      disabled: i + by < 0 || i + by >= blocks.length,
      onclick: () => { blocks.splice(i + by, 0, blocks.splice(i, 1)[0]); drawBlocks(); changed(); } }, label === 'Up' ? '↑' : '↓');
    return el('li', { 'data-kind': b.kind }, el('label', {}, on, ' ', BLOCKS[b.kind]),
      el('span', { class: 'block-tools' }, el('label', { class: 'muted' }, own, ' colour'), colour, move(-1, 'Up'), move(1, 'Down')));
  }));

  // The preview: a unit's real page, showing the draft, in a frame of each size.
  let unit = pages[0];
  const which = el('select', { 'aria-label': 'Preview unit' }, pages.map((p, i) => el('option', { value: i }, p.room)));
  const size = el('select', { 'aria-label': 'Preview size' }, FRAMES.map(([v, t]) => el('option', { value: v }, t)));
  const lang = el('select', { 'aria-label': 'Preview language' }, ['en', 'ru', 'de', 'fr', 'es', 'pt']
    .map((t) => el('option', { value: t, selected: t === (languages[0] || 'en').split('-')[0] }, languageName(t))));
  const frame = el('iframe', { title: 'Guest page preview', id: 'guest-preview', tabindex: '-1' });
  const box = el('div', { class: 'preview-frame' }, frame);
  const fit = () => {
    const [, , width, height] = FRAMES.find(([v]) => v === size.value);
    const scale = Math.min(1, (box.clientWidth || width) / width);
    frame.style.width = `${width}px`;
    frame.style.height = `${height}px`;
    frame.style.transform = `scale(${scale})`;
    box.style.height = `${Math.round(height * scale)}px`;
  };
  const status = el('p', { class: 'muted', id: 'preview-status' });
  let timer = null;
  const refresh = async () => {
    if (!unit) return;
    try {
      const { id } = await api('POST', '/admin/reception/preview', draft());
      frame.src = `${unit.path}?preview=${encodeURIComponent(id)}&lang=${lang.value}`;
      status.textContent = form.dataset.unsaved === 'true'
        ? `Showing ${unit.room}'s page with your changes (not saved yet).`
        : `Showing ${unit.room}'s page as guests see it.`;
    } catch (e) {
      status.textContent = e.message;
    }
  };
  const changed = () => { form.dataset.unsaved = 'true'; clearTimeout(timer); timer = setTimeout(refresh, 400); };
  size.addEventListener('change', fit);
  lang.addEventListener('change', refresh);
  which.addEventListener('change', () => { unit = pages[Number(which.value)]; refresh(); });
  // Fitted whenever the frame's box changes size: on being shown, and with the window.
  new ResizeObserver(fit).observe(box);

  const form = el('form', { class: 'card', id: 'page-design' },
    el('h2', {}, 'Guest page'),
    el('p', { class: 'muted' }, 'One page for every room, villa or car, opened from the QR code on its door. Turn blocks on and off, order and colour them. Texts in the property\'s other languages are under each text; a guest whose language has none reads the first.'),
    el('button', { type: 'button', class: 'secondary jump-preview', onclick: () => preview.scrollIntoView({ behavior: 'smooth' }) }, 'See the preview'),
    list,
    Object.values(texts).slice(0, 3).map((t) => t.element),
    el('div', { class: 'row' }, field('g-accent', 'Accent colour', accent), field('g-chat', 'Chat on the page', chatState)),
    el('label', {}, byPosition, ' Offer the weather where the guest is (cars, day trips)'),
    el('p', { class: 'muted' }, 'Phones share their position only with secure (https://) pages. Guests who open the page at the hotel Wi-Fi\'s http:// address do not see this button; guests who reach it over https:// (a name with a trusted certificate, or the cloud relay) do.'),
    el('h3', {}, 'Wi-Fi'),
    el('div', { class: 'row' }, field('g-ssid', 'Network name (empty: no Wi-Fi block)', ssid), field('g-password', 'Password', password),
      field('g-security', 'Security', security)),
    el('label', {}, hidden, ' The network is hidden'),
    el('h3', {}, 'Stay'),
    el('div', { class: 'row' }, field('g-check-in', 'Check-in from', checkIn), field('g-check-out', 'Check-out until', checkOut)),
    Object.values(texts).slice(3).map((t) => t.element),
    el('div', { class: 'error', role: 'alert' }),
    el('p', { class: 'notice', id: 'design-saved' }),
    el('button', { type: 'submit' }, 'Save'));
  form.addEventListener('input', changed);
  form.addEventListener('change', changed);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const saved = await submitting(form, () => api('PUT', '/admin/reception/design', draft()));
    if (saved) {
      form.dataset.unsaved = 'false';
      form.querySelector('#design-saved').textContent = 'Saved: guests see it now.';
      status.textContent = `Showing ${unit ? unit.room : 'a unit'}'s page as guests see it.`;
    }
  });
  drawBlocks();
  const preview = el('div', { class: 'card page-preview' }, el('h2', {}, 'Preview'),
    unit ? [el('div', { class: 'row' }, field('g-unit', 'Unit', which), field('g-size', 'Screen', size),
      field('g-lang', 'Language', lang)), status, box]
      : el('p', { class: 'muted' }, 'Add a room first: the preview shows its page.'));
  refresh();
  return el('div', { class: 'reception-editor' }, form, preview);
}

// Each unit's address on the hub's LAN address (the staff app's own may be HTTPS with the
// hub's local CA, which guests' phones do not trust), its QR codes and a copy button.
function pagesCard(pages, addresses) {
  const saved = localStorage.getItem('hub.guestBase');
  const base = input(saved || addresses[0] || location.origin, { type: 'url', id: 'g-base', list: 'g-bases' });
  const bases = el('datalist', { id: 'g-bases' }, addresses.map((a) => el('option', { value: a })));
  const table = el('tbody');
  const draw = () => {
    const origin = base.value.replace(/\/+$/, '');
    table.replaceChildren(...pages.map((p) => {
      const address = `${origin}${p.path}`;
      const slugBox = input(p.slug, { maxlength: 64, pattern: '[a-z0-9][a-z0-9-]{1,62}[a-z0-9]', 'aria-label': `Address of ${p.room}` });
      const error = el('span', { class: 'error-text' });
      const save = el('button', { type: 'button', class: 'secondary', onclick: async () => {
        try {
          const moved = await api('PUT', `/admin/reception/pages/${p.room_id}`, { slug: slugBox.value.trim() });
          Object.assign(p, moved);
          draw();
        } catch (e) {
          error.textContent = e.message;
        }
      } }, 'Change');
      const qr = (format) => `/api/v1/admin/reception/pages/${p.room_id}/qr?format=${format}&base=${encodeURIComponent(origin)}`;
      return el('tr', { 'data-room': p.room },
        el('td', {}, p.room),
        el('td', {}, el('a', { href: address, target: '_blank', rel: 'noopener' }, address), el('div', { class: 'row slug-row' }, slugBox, save), error),
        el('td', {}, el('button', { type: 'button', class: 'secondary', onclick: async (e) => {
          e.currentTarget.textContent = (await copyText(address)) ? 'Copied' : 'Copy failed';
        } }, 'Copy link'), ' ', el('a', { href: qr('png'), download: `${p.slug}.png` }, 'QR PNG'), ' ',
        el('a', { href: qr('svg'), download: `${p.slug}.svg` }, 'SVG')));
    }));
  };
  // The property's own page: no unit, no stay; for the lobby, the website, a leaflet.
  const hotelRow = el('p', { id: 'hotel-page' });
  const drawHotel = () => {
    const origin = base.value.replace(/\/+$/, '');
    const address = `${origin}/r/`;
    const qr = (format) => `/api/v1/admin/reception/property/qr?format=${format}&base=${encodeURIComponent(origin)}`;
    hotelRow.replaceChildren('The hotel\'s own page (lobby, website): ', el('a', { href: address, target: '_blank', rel: 'noopener' }, address), ' · ',
      el('a', { href: qr('png'), download: 'hotel.png' }, 'QR PNG'), ' · ', el('a', { href: qr('svg'), download: 'hotel.svg' }, 'SVG'));
  };
  drawHotel();
  base.addEventListener('change', () => {
    localStorage.setItem('hub.guestBase', base.value);
    draw();
    drawHotel();
    document.dispatchEvent(new Event('guest-base-changed'));
  });
  draw();
  return el('div', { class: 'card', id: 'page-addresses' }, el('h2', {}, 'Page addresses and QR codes'),
    field('g-base', 'Address phones open', base), bases,
    el('p', { class: 'muted' }, 'Use the hub\'s address on the hotel\'s Wi-Fi, like http://192.168.1.20:8080: some Android browsers cannot open hub.local.'),
    el('p', {}, el('a', { href: '/api/v1/admin/reception/wifi/qr?format=png', download: 'wifi.png' }, 'Wi-Fi QR code (PNG)'), ' · ',
      el('a', { href: '/api/v1/admin/reception/wifi/qr?format=svg', download: 'wifi.svg' }, 'SVG')),
    hotelRow,
    el('table', {}, el('thead', {}, el('tr', {}, ['Unit', 'Address', ''].map((h) => el('th', {}, h)))), table));
}

async function placesCard(languages) {
  const root = el('div', { class: 'card', id: 'places' });
  const render = async (editing = null) => {
    const places = await api('GET', '/admin/reception/places');
    const order = async (ids) => { await api('PUT', '/admin/reception/places-order', { ids }).catch((e) => alert(e.message)); render(); };
    const rows = places.map((p, i) => {
      const ids = places.map((q) => q.id);
      const swap = (by) => { ids.splice(i + by, 0, ids.splice(i, 1)[0]); order(ids); };
      return el('tr', { 'data-place': p.name.text },
        el('td', {}, p.name.text, el('div', { class: 'muted' }, CATEGORIES[p.category] || p.category, p.address ? ` · ${p.address}` : '')),
        el('td', { class: 'place-tools' },
          el('button', { type: 'button', class: 'secondary', disabled: i === 0, 'aria-label': `Up: ${p.name.text}`, onclick: () => swap(-1) }, '↑'),
          el('button', { type: 'button', class: 'secondary', disabled: i === places.length - 1, 'aria-label': `Down: ${p.name.text}`, onclick: () => swap(1) }, '↓'),
          el('button', { type: 'button', class: 'secondary', onclick: () => render(p) }, 'Edit'),
          el('button', { type: 'button', class: 'danger', onclick: async () => {
            if (!confirm(`Remove ${p.name.text} from the directory?`)) return;
            await api('DELETE', `/admin/reception/places/${p.id}`).catch((e) => alert(e.message));
            render();
          } }, 'Remove')));
    });
    root.replaceChildren(el('h2', {}, `Places nearby (${places.length})`),
      places.length ? el('table', {}, el('tbody', {}, rows)) : el('p', { class: 'muted' }, 'No places yet: add the taxi, a pharmacy, restaurants you recommend.'),
      placeForm(editing, languages, render));
  };
  await render();
  return root;
}

function placeForm(place, languages, done) {
  const p = place || { category: 'restaurant', name: { text: '', translations: {} }, notes: { text: '', translations: {} },
    address: '', phone: '', website: '', latitude: null, longitude: null };
  const category = el('select', {}, Object.entries(CATEGORIES).map(([v, t]) => el('option', { value: v, selected: p.category === v }, t)));
  const name = textField('place-name', 'Name', 120, false, p.name, languages);
  const notes = textField('place-notes', 'Notes', 1000, true, p.notes, languages);
  const address = input(p.address, { maxlength: 300 });
  const phone = input(p.phone, { type: 'tel', maxlength: 40 });
  const website = input(p.website, { type: 'url', placeholder: 'https://…' });
  const lat = input(p.latitude, { type: 'number', step: 'any', min: -90, max: 90 });
  const lon = input(p.longitude, { type: 'number', step: 'any', min: -180, max: 180 });
  const form = el('form', { id: 'place-form' }, el('h3', {}, place ? `Edit ${p.name.text}` : 'Add a place'),
    el('div', { class: 'row' }, field('place-category', 'Category', category)), name.element, notes.element,
    el('div', { class: 'row' }, field('place-address', 'Address', address), field('place-phone', 'Phone', phone)),
    field('place-website', 'Website', website),
    el('div', { class: 'row' }, field('place-lat', 'Latitude', lat), field('place-lon', 'Longitude', lon)),
    el('p', { class: 'muted' }, 'With a position (or an address) guests get a button that opens their phone\'s maps app.'),
    el('div', { class: 'error', role: 'alert' }),
    el('div', { class: 'row' }, el('button', { type: 'submit' }, place ? 'Save' : 'Add'),
      place ? el('button', { type: 'button', class: 'secondary', onclick: () => done() }, 'Cancel') : null));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const number = (i) => (i.value === '' ? null : Number(i.value));
    const body = { category: category.value, name: name.read(), notes: notes.read(), address: address.value.trim(),
      phone: phone.value.trim(), website: website.value.trim(), latitude: number(lat), longitude: number(lon) };
    const ok = await submitting(form, () => (place ? api('PUT', `/admin/reception/places/${place.id}`, body)
      : api('POST', '/admin/reception/places', body)));
    if (ok) done();
  });
  return form;
}
