// case_pictures.js: register a victim's pictures from her case page (staff), fingerprinted in
// this browser by the portal's own modules (portal.js and pdq.js), exactly as the victim's own
// register page does. Only the fingerprints go to the server, to the case's own bank
// (POST /api/v1/cases/{code}/fingerprints with the page's CSRF token); the pictures never
// leave this computer.

import { batches, fingerprintFile, fingerprintVideo } from '/portal/static/portal.js';

const MESSAGES = (() => {
  const node = document.getElementById('case-picture-messages');
  try {
    return node ? JSON.parse(node.textContent || '{}') : {};
  } catch {
    return {};
  }
})();

function t(key, values = {}) {
  let text = Object.prototype.hasOwnProperty.call(MESSAGES, key) ? MESSAGES[key] : key;
  for (const [name, value] of Object.entries(values)) text = text.split(`{${name}}`).join(String(value));
  return text;
}

function isVideo(file) {
  return /^video\//.test(file.type) || /\.(mp4|m4v|webm|mov|mkv|ogv)$/i.test(file.name);
}

async function send(code, csrf, items) {
  let added = 0;
  let fingerprints = 0;
  for (const part of batches(items)) {
    let response;
    try {
      response = await fetch(`/api/v1/cases/${encodeURIComponent(code)}/fingerprints`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json',
          'Accept-Language': document.documentElement.lang || 'ko',
          'X-CSRF-Token': csrf,
        },
        body: JSON.stringify({ items: part }),
        credentials: 'same-origin',
        cache: 'no-store',
      });
    } catch {
      return { ok: false, message: t('Could not reach the server. Check the connection and try again.') };
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      return { ok: false, message: data && data.error ? data.error.message : t('Nothing was registered. Try again.') };
    }
    added += data.added;
    fingerprints = data.fingerprints;
  }
  return { ok: true, added, fingerprints };
}

function setUp() {
  const form = document.getElementById('case-pictures');
  if (!form) return;
  const input = form.querySelector('#picture-files');
  const status = form.querySelector('#pictures-status');
  const submit = form.querySelector('#pictures-submit');
  const say = (text, kind = '') => {
    status.textContent = text;
    status.classList.toggle('error', kind === 'bad');
    status.classList.toggle('ok', kind === 'ok');
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const files = Array.from(input.files || []);
    if (!files.length) {
      say(t('Choose at least one picture.'), 'bad');
      input.focus();
      return;
    }
    if (!(window.crypto && crypto.subtle && typeof createImageBitmap === 'function')) {
      say(t('This browser cannot compute fingerprints. Use a recent Chrome, Edge or Firefox.'), 'bad');
      return;
    }
    submit.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      const pdq = await import('/portal/static/pdq.js');
      const items = [];
      for (let i = 0; i < files.length; i++) {
        const file = files[i];
        say(t('Fingerprinting {n} of {total}…', { n: i + 1, total: files.length }));
        try {
          const fp = isVideo(file) ? await fingerprintVideo(file, pdq) : await fingerprintFile(file, pdq);
          items.push({ ...fp, label: (file.name || '').slice(0, 200) });
        } catch {
          say(t('Could not read {name}. Nothing was sent.', { name: file.name }), 'bad');
          return;
        }
      }
      say(t('Sending fingerprints…'));
      const result = await send(form.dataset.code, form.dataset.csrf, items);
      if (!result.ok) {
        say(result.message, 'bad');
        return;
      }
      input.value = '';
      say(t('Registered: {items} pictures, {added} new fingerprints. {fingerprints} fingerprints are registered for this case in all.',
        { items: items.length, added: result.added, fingerprints: result.fingerprints }), 'ok');
    } finally {
      submit.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });
}

setUp();
