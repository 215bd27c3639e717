// The staff sign-in the admin app and the Team Messenger open with: one form with the same
// ids in both, shown in place of the page's #app while the session is missing.
import { api, el, submitting } from '/common/api.js';

/** Builds the hidden form now; `start` runs again once the hub accepts a password. */
export function staffSignIn(title, start) {
  const form = el('form', { id: 'signin-form', class: 'card' },
    el('h2', {}, title),
    el('label', { for: 'signin-email' }, 'E-mail'),
    el('input', { id: 'signin-email', name: 'email', type: 'email', autocomplete: 'username', required: true }),
    el('label', { for: 'signin-password' }, 'Password'),
    el('input', { id: 'signin-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
    el('div', { class: 'error', role: 'alert' }),
    el('button', { type: 'submit' }, 'Sign in'),
    // Two sign-ins meet owners away from the hotel: this one is the hotel's own.
    el('p', { class: 'muted' }, 'Your account at this hotel, the one its Team invitation made (not a cloud relay account). ' +
      'Forgot the password? The hotel\'s owner or an admin can remove you in Team and invite you again.'));
  const section = el('section', { id: 'signin', hidden: true }, el('main', { class: 'narrow' }, form));
  document.body.prepend(section);
  const app = document.getElementById('app');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    if (await submitting(form, () => api('POST', '/auth/login', data))) {
      form.reset();
      start();
    }
  });
  const swap = (signedIn) => {
    section.hidden = signedIn;
    app.hidden = !signedIn;
  };
  return {
    show: () => swap(false),
    /** The session's member with the app shown, or null with the form shown instead. */
    async member() {
      let me;
      try {
        me = await api('GET', '/me');
      } catch (e) {
        if (e.status !== 401) throw e;
        // A hub with no owner yet has nobody to sign in: its first page is the set-up.
        const setup = await api('GET', '/setup').catch(() => null);
        if (setup?.needed) {
          location.replace('/setup');
          return null;
        }
        swap(false);
        return null;
      }
      swap(true);
      api('GET', '/property').then((p) => {
        document.getElementById('property-name').textContent = p.name;
      }).catch(() => {});
      return me;
    },
  };
}
