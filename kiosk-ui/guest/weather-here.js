// The weather block's "weather where I am" (GUEST-2): shown only where the phone can share
// its position (a secure page: HTTPS, the relay, or the hub on loopback); the hub answers
// with the block's content for that position, in the page's language.
(function () {
  'use strict';
  var button = document.getElementById('weather-here');
  if (!button || !window.isSecureContext || !navigator.geolocation || !window.fetch) return;
  var note = document.getElementById('weather-here-note');
  var block = button.closest('section');
  button.hidden = false;
  function say(text) { if (note) note.textContent = text; button.disabled = false; }
  button.addEventListener('click', function () {
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(function (where) {
      var href = button.getAttribute('data-href') + '&lat=' + where.coords.latitude.toFixed(4) +
        '&lon=' + where.coords.longitude.toFixed(4);
      fetch(href, { credentials: 'same-origin' }).then(function (r) {
        return r.text().then(function (html) { return { ok: r.ok, html: html }; });
      }).then(function (answer) {
        var parsed = new DOMParser().parseFromString(answer.html, 'text/html');
        if (!answer.ok) { say(parsed.body.textContent.trim()); return; }
        block.replaceChildren.apply(block, Array.prototype.slice.call(parsed.body.childNodes));
      }, function () { say(button.getAttribute('data-failed')); });
    }, function () { say(button.getAttribute('data-denied')); },
    { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 });
  });
})();
