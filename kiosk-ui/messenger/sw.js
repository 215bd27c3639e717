// The Team Messenger's service worker: keeps the app shell for a quick start and offline
// opening, and shows the hub's Web Push notices (a guest wrote while the app was closed);
// tapping one opens that conversation. Conversations always come live from the hub.
const CACHE = 'messenger-shell-v1';
const SHELL = ['/messenger/', '/messenger/app.js', '/messenger/dialogue.js', '/messenger/socket.js', '/messenger/alerts.js',
  '/messenger/messenger.css', '/common/api.js', '/common/messages.js', '/common/signin.js', '/common/socket.js',
  '/common/base.css', '/messenger/icon.svg'];

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});
self.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});
self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== location.origin || !SHELL.includes(url.pathname)) return;
  // Network first: a new hub version wins; the cache only serves when the hub is away.
  e.respondWith(fetch(e.request).then((r) => {
    const copy = r.clone();
    caches.open(CACHE).then((c) => c.put(e.request, copy));
    return r;
  }).catch(() => caches.match(e.request)));
});

self.addEventListener('push', (e) => {
  let notice = {};
  try { notice = e.data ? e.data.json() : {}; } catch { notice = { body: e.data?.text() || '' }; }
  e.waitUntil(self.registration.showNotification(notice.title || 'Hotel Hub', {
    body: notice.body || '', tag: notice.tag, icon: '/messenger/icon.svg',
    data: { url: notice.url || '/messenger/' },
  }));
});
self.addEventListener('notificationclick', (e) => {
  e.notification.close();
  const url = new URL(e.notification.data?.url || '/messenger/', location.origin).href;
  e.waitUntil(self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
    const open = windows.find((w) => new URL(w.url).pathname.startsWith('/messenger/'));
    if (open) return open.navigate(url).then((w) => (w || open).focus());
    return self.clients.openWindow(url);
  }));
});
