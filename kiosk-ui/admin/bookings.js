// Bookings (BOOK-1): who is in now, the reservations ahead, entry by hand, the channel
// managers' iCal feeds and the PMS webhook. Everyone sees; admins change.
import { api, copyText, el, submitting } from '/common/api.js';
import { field, when } from '/common/forms.js';

const STATUS = { booked: 'Booked', checked_in: 'Checked in', checked_out: 'Checked out', cancelled: 'Cancelled' };

export async function bookingsView(me) {
  const admin = me.role === 'owner' || me.role === 'admin';
  const root = el('div', { id: 'bookings' });
  const render = async () => {
    const [occupancy, reservations] = await Promise.all([api('GET', '/occupancy'), api('GET', '/reservations')]);
    const units = Object.fromEntries(occupancy.units.map((u) => [u.id, u.name]));
    const now = el('div', { class: 'card', id: 'occupancy' },
      el('h2', {}, `In now: ${occupancy.occupied} of ${occupancy.units.filter((u) => u.kind !== 'area').length}`),
      el('table', {}, el('tbody', {}, occupancy.units.filter((u) => u.kind !== 'area').map((u) => el('tr', { 'data-unit': u.name },
        el('td', {}, u.name),
        el('td', {}, el('span', { class: `badge ${u.occupied ? 'online' : 'vacant'}` }, u.occupied ? 'Occupied' : 'Vacant')),
        el('td', {}, u.reservation ? `${u.reservation.guest_name || 'Guest'} until ${u.reservation.check_out}` : ''))))));
    // Each step asks first: checking in starts the arrival's scenarios, cancelling frees
    // the room's nights, and neither is undone here.
    const who = (r) => `${r.guest_name || 'the guest'} (${units[r.unit_id] || 'unit'}, ${r.check_in} to ${r.check_out})`;
    const QUESTIONS = {
      checked_in: (r) => `Check in ${who(r)} now? Arrival scenarios for the room run.`,
      checked_out: (r) => `Check out ${who(r)} now? Departure scenarios for the room run.`,
      cancelled: (r) => `Cancel the stay of ${who(r)}? Its nights become free to book again.`,
    };
    const act = (r, status, label) => el('button', {
      class: status === 'cancelled' ? 'danger' : 'secondary', type: 'button',
      onclick: async () => {
        if (!confirm(QUESTIONS[status](r))) return;
        await api('PATCH', `/admin/reservations/${r.id}`, { status }).catch((e) => alert(e.message));
        render();
      },
    }, label);
    const list = el('div', { class: 'card', id: 'reservations' }, el('h2', {}, 'Reservations'),
      reservations.length === 0 ? el('p', { class: 'muted' }, 'No stays in the next 60 days.')
        : el('table', {}, el('thead', {}, el('tr', {}, ['Unit', 'Guest', 'Ref', 'Arrives', 'Leaves', 'Status', 'From', ''].map((h) => el('th', {}, h)))),
          el('tbody', {}, reservations.map((r) => el('tr', { 'data-id': r.id },
            el('td', {}, units[r.unit_id] || r.unit_id),
            el('td', {}, r.guest_name || '—', r.email ? el('div', { class: 'muted' }, r.email) : null),
            // The booking reference a guest types on their room's page with their surname.
            el('td', { class: 'ref' }, r.external_id || String(r.id)),
            el('td', { title: when(r.check_in_at) }, r.check_in),
            el('td', { title: when(r.check_out_at) }, r.check_out),
            el('td', {}, STATUS[r.status] || r.status),
            el('td', {}, r.source, ' ', historyButton(r)),
            el('td', {}, admin && r.status === 'booked' ? [act(r, 'checked_in', 'Check in'), ' ', act(r, 'cancelled', 'Cancel')] : null,
              admin && r.status === 'checked_in' ? act(r, 'checked_out', 'Check out') : null,
              ['booked', 'checked_in'].includes(r.status) ? [' ', stayLinkButton(r)] : null))))));
    const parts = [now, list];
    if (admin) parts.push(addForm(occupancy.units, render), await feedsCard(render), await webhookCard());
    root.replaceChildren(...parts);
  };
  await render();
  return root;
}

// The guest's own link to their stay on their unit's page (GUEST-5), copied to send by
// message or e-mail; it works until check-out.
function stayLinkButton(r) {
  return el('button', { type: 'button', class: 'secondary stay-link', onclick: async (event) => {
    const button = event.currentTarget;
    try {
      const [link, { addresses }] = await Promise.all([api('POST', `/reception/stays/${r.id}/link`),
        api('GET', '/reception/addresses')]);
      // On the address guests' phones open (the guest page editor's choice, else the hub's
      // LAN address), not the staff app's HTTPS one, whose certificate phones do not trust.
      const base = localStorage.getItem('hub.guestBase') || addresses[0] || location.origin;
      const address = `${base.replace(/[/]+$/, '')}${link.path}`;
      const copied = await copyText(address);
      button.textContent = copied ? 'Link copied' : 'Copy the link below';
      button.title = address;
      button.parentElement.querySelector('.stay-link-shown')?.remove();
      button.after(el('span', { class: 'stay-link-shown muted' }, address,
        el('br'), `Works until ${when(link.until)}. Whoever has it sees the guest's name and dates on the room's page; each press makes a new one.`));
    } catch (e) {
      alert(e.message);
    }
  } }, 'Guest page link');
}

// A stay's history (who changed it and why: staff, a channel's calendar, the PMS), opened
// under its row.
function historyButton(r) {
  return el('button', { type: 'button', class: 'link history', 'aria-expanded': 'false', onclick: async (event) => {
    const button = event.currentTarget;
    const row = button.closest('tr');
    if (row.nextElementSibling?.classList.contains('stay-history')) {
      row.nextElementSibling.remove();
      button.setAttribute('aria-expanded', 'false');
      return;
    }
    const lines = await api('GET', `/reservations/${r.id}/history`).catch((e) => [{ at: '', what: e.message }]);
    button.setAttribute('aria-expanded', 'true');
    row.after(el('tr', { class: 'stay-history' }, el('td', { colspan: 8 },
      lines.length === 0 ? el('p', { class: 'muted' }, 'No changes recorded.')
        : el('ul', {}, lines.map((h) => el('li', {}, el('span', { class: 'muted' }, `${when(h.at)} · `), h.what))))));
  } }, 'history');
}

function addForm(units, done) {
  const unit = el('select', { required: true }, units.filter((u) => u.kind !== 'area').map((u) => el('option', { value: u.id }, u.name)));
  const guest = el('input', { maxlength: 120 });
  const email = el('input', { type: 'email', maxlength: 200 });
  const phone = el('input', { maxlength: 40 });
  const from = el('input', { type: 'date', required: true });
  const to = el('input', { type: 'date', required: true });
  const form = el('form', { class: 'card', id: 'reservation-form' }, el('h2', {}, 'Add a reservation'),
    el('div', { class: 'row' }, field('r-unit', 'Unit', unit), field('r-guest', 'Guest', guest), field('r-email', 'E-mail', email), field('r-phone', 'Phone', phone)),
    el('div', { class: 'row' }, field('r-in', 'Check-in', from), field('r-out', 'Check-out', to), el('button', { type: 'submit' }, 'Add')),
    el('div', { class: 'error', role: 'alert' }));
  // The room is taken for some of those nights: the hub names the other stay; staff who know
  // better (a shared room, a change of plan) can enter it anyway.
  const anyway = el('button', { type: 'button', class: 'secondary', id: 'book-anyway', hidden: true }, 'Book it anyway');
  form.append(anyway);
  const book = async (allow) => {
    const body = { unit_id: Number(unit.value), guest_name: guest.value, email: email.value, phone: phone.value,
      check_in: from.value, check_out: to.value, allow_overlap: allow };
    anyway.hidden = true;
    try {
      await api('POST', '/admin/reservations', body);
      done();
    } catch (e) {
      form.querySelector('.error').textContent = e.message;
      anyway.hidden = e.status !== 409;
    }
  };
  form.addEventListener('submit', (event) => { event.preventDefault(); book(false); });
  anyway.addEventListener('click', () => book(true));
  return form;
}

async function feedsCard(done) {
  const feeds = await api('GET', '/admin/ical-feeds');
  return el('div', { class: 'card', id: 'ical-feeds' }, el('h2', {}, 'Channel calendars (iCal)'),
    el('p', { class: 'muted' }, 'Paste each unit\'s export link from Airbnb, Booking.com, Vrbo or your channel manager. The hub reads it now and then every half hour; stays that disappear from it are cancelled.'),
    el('table', {}, el('tbody', {}, feeds.map((f) => {
      const url = el('input', { type: 'url', value: f.url, placeholder: 'https://…/calendar.ics', 'aria-label': `iCal link of ${f.name}` });
      const status = el('span', { class: f.error ? 'error' : 'muted' },
        f.error ? `Last import failed: ${f.error}` : f.synced_at ? `Imported ${when(f.synced_at)}` : '');
      // What the last good import did that staff should know: events it could not read
      // (skipped, the rest imported), stays it kept though missing, stays it cancelled.
      const r = f.report;
      const notes = r ? [
        ...r.unreadable.map((u) => `Skipped ${u}`),
        ...r.kept.map((k) => `Kept ${k}`),
        r.cancelled ? `${r.cancelled} stay${r.cancelled === 1 ? '' : 's'} cancelled by this calendar (see the stay's history)` : '',
      ].filter(Boolean) : [];
      const report = notes.length ? el('ul', { class: 'feed-report' }, notes.map((n) => el('li', {}, n))) : null;
      const form = el('form', {}, url, ' ', el('button', { type: 'submit' }, 'Save and import'), el('div', { class: 'error', role: 'alert' }));
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const report = await submitting(form, () => api('PUT', `/admin/rooms/${f.unit_id}/ical`, { url: url.value }));
        if (report !== undefined) done();
      });
      return el('tr', { 'data-unit': f.name }, el('td', {}, f.name), el('td', {}, form, status, report));
    }))));
}

async function webhookCard() {
  const s = await api('GET', '/admin/booking-settings');
  const checkIn = el('input', { type: 'time', value: s.check_in_time, required: true });
  const checkOut = el('input', { type: 'time', value: s.check_out_time, required: true });
  const secret = el('code', { id: 'webhook-secret' }, s.webhook_secret || 'none yet');
  const form = el('form', { class: 'card', id: 'booking-settings' }, el('h2', {}, 'Check-in, check-out and your PMS'),
    el('div', { class: 'row' }, field('b-in', 'Check-in from', checkIn), field('b-out', 'Check-out by', checkOut)),
    el('p', {}, 'PMS webhook: POST JSON to ', el('code', {}, `${location.origin}/api/v1/bookings/webhook`),
      ' signed with ', el('code', {}, 'X-Hub-Signature-256: sha256=HMAC-SHA256(secret, body)'), '. Secret: ', secret, ' ',
      el('button', { type: 'button', class: 'secondary', onclick: async () => {
        if (!confirm('Make a new secret? The PMS must be given it; the old one stops working.')) return;
        secret.textContent = (await api('POST', '/admin/booking-settings/webhook-secret')).webhook_secret;
      } }, 'Make a new secret')),
    el('div', { class: 'error', role: 'alert' }), el('p', { class: 'notice' }),
    el('button', { type: 'submit' }, 'Save times'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (await submitting(form, () => api('PUT', '/admin/booking-settings', { check_in_time: checkIn.value, check_out_time: checkOut.value }))) {
      form.querySelector('.notice').textContent = 'Saved.';
    }
  });
  return form;
}
