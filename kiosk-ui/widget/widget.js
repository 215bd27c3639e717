// Hotel Hub chat widget loader, embedded on the hotel's own website with one tag:
//   <script src="https://hub.example/widget.js" data-key="KEY" async></script>
// Optional: data-state="collapsed|open|hidden|welcome", data-tags="room-12,spa",
// data-lang="ru" (else the browser's language), data-attach="off" (no file button).
// The chat itself runs in an iframe on the hub's origin, so the host page's CSS cannot
// reach it and the guest's token stays with the hub, unless the browser denies that frame
// its storage (see `kept`). This file only places the frame,
// relays the JavaScript API (window.HotelHubChat) and does customer identification,
// which needs the host site's cookies.
(function () {
  'use strict';
  if (window.HotelHubChat && window.HotelHubChat.__loaded) return;
  var script = document.currentScript ||
    document.querySelector('script[src*="/widget.js"][data-key]');
  if (!script) return;
  var origin = new URL(script.src, location.href).origin;
  // A browser that blocks third-party cookies also denies a cross-site frame its storage
  // (Chromium's incognito does; the hub seen through the cloud relay is such a frame). The
  // frame then asks this page to keep its conversation (token, dialogue, unsent messages)
  // in the hotel site's own storage, and gets it back here when the page loads again.
  var keptKey = 'hotelhub:' + origin;
  function kept() { try { return localStorage.getItem(keptKey) || ''; } catch (e) { return ''; } }
  var params = new URLSearchParams({
    key: script.getAttribute('data-key') || '',
    state: script.getAttribute('data-state') || '',
    // "off" where the device's own files are not the guest's to send (the lobby kiosk).
    attach: script.getAttribute('data-attach') || '',
    tags: script.getAttribute('data-tags') || '',
    url: location.href,
    title: document.title,
    referrer: document.referrer,
    // A page in a language of the guest's choosing (the guest pages' switch) says so.
    lang: script.getAttribute('data-lang') || navigator.language || '',
    // Whether that language is the page's choice (data-lang), not only the browser's.
    chosen: script.hasAttribute('data-lang') ? '1' : '',
    // The frame posts its events (staff replies among them) to this origin only.
    host: location.origin,
    // In the fragment: never sent to the hub or anyone else.
    kept: kept(),
  });
  var frame = document.createElement('iframe');
  frame.src = origin + '/widget/frame.html#' + params.toString();
  frame.title = 'Chat';
  frame.setAttribute('allow', 'microphone; camera; clipboard-write');
  // Inline and !important: the host page's own stylesheets cannot move or hide the frame.
  function css(name, value) { frame.style.setProperty(name, value, 'important'); }
  [['position', 'fixed'], ['bottom', '0'], ['right', '0'], ['left', 'auto'], ['top', 'auto'],
    ['width', '96px'], ['height', '96px'], ['border', '0'], ['margin', '0'], ['padding', '0'],
    ['background', 'transparent'], ['color-scheme', 'normal'], ['z-index', '2147483000'],
    ['max-width', '100vw'], ['max-height', '100vh'], ['display', 'none'], ['opacity', '1'],
    ['visibility', 'visible'], ['transform', 'none']].forEach(function (p) { css(p[0], p[1]); });

  var ready = false;
  var queue = [];
  var listeners = {};
  function post(message) {
    if (ready) frame.contentWindow.postMessage(message, origin);
    else queue.push(message);
  }
  function emit(name, detail) {
    (listeners[name] || []).slice().forEach(function (fn) {
      try { fn(detail); } catch (e) { setTimeout(function () { throw e; }); }
    });
    window.dispatchEvent(new CustomEvent('hotelhub:' + name, { detail: detail }));
  }
  function identify(url) {
    // With the site's cookies: the owner's backend knows who is signed in.
    fetch(url, { method: 'POST', credentials: 'include', headers: { 'Accept': 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : { ok: false }; })
      .then(function (answer) { post({ hotelhub: 'identify', answer: answer }); })
      .catch(function () { post({ hotelhub: 'identify', answer: { ok: false } }); });
  }

  window.addEventListener('message', function (event) {
    if (event.origin !== origin || event.source !== frame.contentWindow) return;
    var data = event.data || {};
    if (data.hotelhub === 'size') {
      css('width', data.width);
      css('height', data.height);
      css('display', data.hidden ? 'none' : 'block');
      css('left', data.position === 'left' ? '0' : 'auto');
      css('right', data.position === 'left' ? 'auto' : '0');
    } else if (data.hotelhub === 'ready') {
      ready = true;
      queue.splice(0).forEach(function (m) { frame.contentWindow.postMessage(m, origin); });
      if (data.identifyUrl) identify(data.identifyUrl);
      emit('ready', {});
    } else if (data.hotelhub === 'keep') {
      try { localStorage.setItem(keptKey, JSON.stringify(data.values || {})); } catch (e) { /* private mode */ }
    } else if (data.hotelhub === 'event') {
      emit(data.name, data.detail || {});
    }
  });

  var api = {
    __loaded: true,
    openChat: function () { post({ hotelhub: 'open' }); },
    closeChat: function () { post({ hotelhub: 'close' }); },
    hideWidget: function () { post({ hotelhub: 'hide' }); },
    showWidget: function () { post({ hotelhub: 'show' }); },
    openChannelsPanel: function () { post({ hotelhub: 'channels' }); },
    setUser: function (user) {
      var u = user || {};
      post({ hotelhub: 'user', user: { id: String(u.id || ''), name: String(u.name || ''),
        email: String(u.email || ''), phone: String(u.phone || '') } });
    },
    on: function (name, fn) { (listeners[name] = listeners[name] || []).push(fn); },
    off: function (name, fn) {
      listeners[name] = (listeners[name] || []).filter(function (f) { return f !== fn; });
    },
  };
  window.HotelHubChat = api;
  function mount() { document.body.appendChild(frame); }
  if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount);
})();
