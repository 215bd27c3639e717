// Hotel Hub chat widget loader, embedded on the hotel's own website with one tag:
//   <script src="https://hub.example/widget.js" data-key="KEY" async></script>
// Optional: data-state="collapsed|open|hidden|welcome", data-tags="room-12,spa".
// The chat itself runs in an iframe on the hub's origin, so the host page's CSS cannot
// reach it and the guest's token stays with the hub. This file only places the frame,
// relays the JavaScript API (window.HotelHubChat) and does customer identification,
// which needs the host site's cookies.
(function () {
  'use strict';
  if (window.HotelHubChat && window.HotelHubChat.__loaded) return;
  var script = document.currentScript ||
    document.querySelector('script[src*="/widget.js"][data-key]');
  if (!script) return;
  var origin = new URL(script.src, location.href).origin;
  var params = new URLSearchParams({
    key: script.getAttribute('data-key') || '',
    state: script.getAttribute('data-state') || '',
    tags: script.getAttribute('data-tags') || '',
    url: location.href,
    title: document.title,
    referrer: document.referrer,
    lang: navigator.language || '',
  });
  var frame = document.createElement('iframe');
  frame.src = origin + '/widget/frame.html#' + params.toString();
  frame.title = 'Chat';
  frame.setAttribute('allow', 'microphone; camera; clipboard-write');
  var style = frame.style;
  style.position = 'fixed';
  style.bottom = '0';
  style.right = '0';
  style.width = '96px';
  style.height = '96px';
  style.border = '0';
  style.background = 'transparent';
  style.colorScheme = 'normal';
  style.zIndex = '2147483000';
  style.display = 'none';

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
      style.width = data.width;
      style.height = data.height;
      style.display = data.hidden ? 'none' : 'block';
      style.left = data.position === 'left' ? '0' : '';
      style.right = data.position === 'left' ? '' : '0';
    } else if (data.hotelhub === 'ready') {
      ready = true;
      queue.splice(0).forEach(function (m) { frame.contentWindow.postMessage(m, origin); });
      if (data.identifyUrl) identify(data.identifyUrl);
      emit('ready', {});
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
