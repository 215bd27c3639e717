// The first-run page: the set-up code creates the owner, who lands in the admin app.
import { api, submitting } from '/common/api.js';

const form = document.getElementById('setup');

const status = await api('GET', '/setup').catch(() => ({ needed: true }));
if (!status.needed) {
  form.hidden = true;
  document.getElementById('done').hidden = false;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const data = Object.fromEntries(new FormData(form));
  const ok = await submitting(form, () => api('POST', '/setup', data));
  // The owner's next steps: the property page opens with its getting-started list.
  if (ok) location.assign('/admin/?start=1#property');
});
