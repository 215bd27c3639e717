// The guest page's local time keeps going while the page is open: each [data-clock]
// element holds the property's UTC offset in minutes, as the hub rendered it.
(function () {
  'use strict';
  var clocks = document.querySelectorAll('[data-clock]');
  if (!clocks.length) return;
  function two(n) { return (n < 10 ? '0' : '') + n; }
  function tick() {
    clocks.forEach(function (el) {
      var offset = Number(el.getAttribute('data-clock')) || 0;
      var d = new Date(Date.now() + offset * 60000);
      el.textContent = two(d.getUTCHours()) + ':' + two(d.getUTCMinutes());
    });
  }
  tick();
  setInterval(tick, 15000);
})();
