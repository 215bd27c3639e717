// What the relay serves as a hotel's widget.js while the hotel's hub is offline: the chat
// button still shows on the hotel's website, and a tap says, in the guest's language, that
// the chat is back in a few minutes. The relay puts the words in, as JSON strings.
(function () {
  'use strict';
  if (window.HotelHubChat) return;
  var title = __TITLE__;
  var text = __TEXT__;
  var host = document.createElement('div');
  var root = host.attachShadow({ mode: 'open' });
  var style = document.createElement('style');
  style.textContent = 'button{position:fixed;right:16px;bottom:16px;width:56px;height:56px;' +
    'border-radius:50%;border:0;background:#0f766e;color:#fff;display:grid;place-items:center;cursor:pointer;' +
    'box-shadow:0 2px 12px rgba(0,0,0,.25);z-index:2147483000}' +
    'div{position:fixed;right:16px;bottom:84px;box-sizing:border-box;width:min(320px,calc(100vw - 32px));' +
    'background:#fff;color:#1d2733;border-radius:12px;box-shadow:0 4px 24px rgba(0,0,0,.2);' +
    'padding:16px;font:15px/1.45 system-ui,sans-serif;z-index:2147483000}' +
    'strong{display:block;margin-bottom:4px}';
  var button = document.createElement('button');
  button.type = 'button';
  button.setAttribute('aria-label', title);
  button.setAttribute('aria-expanded', 'false');
  // A speech bubble drawn, not an emoji: not every device has an emoji font.
  var svg = 'http://www.w3.org/2000/svg';
  var icon = document.createElementNS(svg, 'svg');
  icon.setAttribute('viewBox', '0 0 24 24');
  icon.setAttribute('width', '26');
  icon.setAttribute('height', '26');
  icon.setAttribute('aria-hidden', 'true');
  var bubble = document.createElementNS(svg, 'path');
  bubble.setAttribute('d', 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z');
  bubble.setAttribute('fill', 'currentColor');
  icon.append(bubble);
  button.append(icon);
  var note = document.createElement('div');
  note.setAttribute('role', 'status');
  note.hidden = true;
  var strong = document.createElement('strong');
  strong.textContent = title;
  note.append(strong, document.createTextNode(text));
  button.addEventListener('click', function () {
    note.hidden = !note.hidden;
    button.setAttribute('aria-expanded', String(!note.hidden));
  });
  root.append(style, note, button);
  function mount() { document.body.appendChild(host); }
  if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount);
})();
