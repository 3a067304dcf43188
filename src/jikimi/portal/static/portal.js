// portal.js: the victim portal's pages (ES module, no build step, no inline script: the app
// sends `script-src 'self'`).
//
// Principle 1: the victim's pictures never leave her device. Files are read here, decoded with
// createImageBitmap onto a canvas, and fingerprinted with ./pdq.js (PDQ with quality and the
// registration variants, MD5) and WebCrypto (SHA-256). Only the fingerprints and her own labels
// are sent, as JSON, to POST /api/v1/victim/fingerprints. Thumbnails are blob: URLs of the
// local files and are revoked when the list changes or on quick exit.
//
// pdq.js is imported on demand (only the register page needs it), so that the quick-exit
// button and the other pages work even if the hashing code could not load.

const MAX_ITEMS = 100;

const MESSAGES = (() => {
  const node = document.getElementById('portal-messages');
  try {
    return node ? JSON.parse(node.textContent || '{}') : {};
  } catch {
    return {};
  }
})();

/** A translated message (the server put the page's language's texts in #portal-messages). */
export function t(key, values = {}) {
  let text = Object.prototype.hasOwnProperty.call(MESSAGES, key) ? MESSAGES[key] : key;
  for (const [name, value] of Object.entries(values)) {
    text = text.split(`{${name}}`).join(String(value));
  }
  return text;
}

const objectUrls = new Set();

function revokeThumbnails() {
  for (const url of objectUrls) URL.revokeObjectURL(url);
  objectUrls.clear();
}

// ------------------------------------------------------------------------------------------
// Quick exit: wipe what the page holds, then replace it (no new history entry) with a neutral
// site. Internal links also replace the current entry, so the portal occupies one entry only
// and the back button after a quick exit does not return to it.

export function quickExit(url) {
  try {
    for (const form of document.querySelectorAll('form')) form.reset();
    revokeThumbnails();
    document.title = '';
    const main = document.getElementById('main');
    if (main) main.replaceChildren();
  } finally {
    window.location.replace(url);
  }
}

function setUpNavigation() {
  const exit = document.getElementById('quick-exit');
  if (exit) {
    exit.addEventListener('click', (event) => {
      event.preventDefault();
      quickExit(exit.dataset.exitUrl || 'https://www.google.com/');
    });
  }
  for (const link of document.querySelectorAll('a[data-nav]')) {
    link.addEventListener('click', (event) => {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
        return;
      }
      event.preventDefault();
      window.location.replace(link.href);
    });
  }
}

// ------------------------------------------------------------------------------------------
// Talking to the centre.

async function postJSON(path, body) {
  let response;
  try {
    response = await fetch(path, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json',
        'Accept-Language': document.body.dataset.lang || 'ko',
      },
      body: JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
      referrerPolicy: 'no-referrer',
    });
  } catch {
    return { ok: false, message: t('Could not reach the centre. Check the connection and try again.') };
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const message = data && data.error && data.error.message
      ? data.error.message
      : t('Something went wrong. Nothing was sent. Try again.');
    return { ok: false, status: response.status, message };
  }
  return { ok: true, data };
}

function credentials(form) {
  const code = form.querySelector('#code').value.trim().toUpperCase();
  const secret = form.querySelector('#secret').value.trim();
  return { code, secret };
}

function say(node, text, kind = '') {
  node.textContent = text;
  node.classList.toggle('ok', kind === 'ok');
  node.classList.toggle('bad', kind === 'bad');
}

// ------------------------------------------------------------------------------------------
// Fingerprinting on the device.

function toHex(buffer) {
  const bytes = new Uint8Array(buffer);
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex;
}

async function decode(file) {
  // As the server: the pixels as stored (no EXIF rotation, no colour-profile conversion).
  const options = { imageOrientation: 'none', premultiplyAlpha: 'none', colorSpaceConversion: 'none' };
  try {
    return await createImageBitmap(file, options);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    // A browser that does not know imageOrientation 'none' yet.
    return createImageBitmap(file, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  }
}

/**
 * The fingerprints of one image file, computed here. Nothing is sent.
 * @returns {Promise<{sha256: string, md5: string, pdq: string, quality: number,
 *   variants: Array<{name: string, pdq: string, quality: number}>}>}
 */
export async function fingerprintFile(file, pdq) {
  const buffer = await file.arrayBuffer();
  const bytes = new Uint8Array(buffer);
  const sha256 = toHex(await crypto.subtle.digest('SHA-256', buffer));
  const md5 = pdq.md5(bytes);
  const bitmap = await decode(file);
  let variants;
  try {
    const { width, height } = bitmap;
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext('2d', { willReadFrequently: true, alpha: true });
    ctx.drawImage(bitmap, 0, 0);
    const image = ctx.getImageData(0, 0, width, height);
    const jpeg = bytes.length > 2 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
    variants = pdq.registrationVariants(image.data, width, height, { jpegDraft: jpeg });
    canvas.width = 0;
    canvas.height = 0;
  } finally {
    bitmap.close();
  }
  const original = variants.find((v) => v.name === 'original');
  return {
    sha256,
    md5,
    pdq: original.hash,
    quality: original.quality,
    variants: variants
      .filter((v) => v.name !== 'original')
      .map((v) => ({ name: v.name, pdq: v.hash, quality: v.quality })),
  };
}

const nextFrame = () => new Promise((resolve) => setTimeout(resolve, 0));

function supported() {
  return Boolean(window.isSecureContext && window.crypto && crypto.subtle
    && typeof createImageBitmap === 'function');
}

// ------------------------------------------------------------------------------------------
// Register page.

function setUpRegister() {
  const form = document.getElementById('register-form');
  if (!form) return;
  const input = form.querySelector('#files');
  const list = form.querySelector('#items');
  const template = document.getElementById('item-template');
  const status = form.querySelector('#register-status');
  const submit = form.querySelector('#register-submit');
  const toggle = form.querySelector('#toggle-previews');
  let chosen = [];

  if (!supported()) {
    say(status, t('This browser cannot compute fingerprints. Try a recent Chrome, Edge, Firefox or Safari, or ask the centre.'), 'bad');
    submit.disabled = true;
  }

  toggle.addEventListener('click', () => {
    const blurred = list.classList.toggle('blurred');
    toggle.setAttribute('aria-pressed', String(!blurred));
    toggle.textContent = blurred ? toggle.dataset.show : toggle.dataset.hide;
  });
  toggle.dataset.show = toggle.textContent;
  toggle.dataset.hide = t('Hide previews');

  input.addEventListener('change', () => {
    revokeThumbnails();
    list.replaceChildren();
    const files = Array.from(input.files || []);
    if (files.length > MAX_ITEMS) {
      say(status, t('Up to {n} pictures at a time. Only the first {n} will be registered.', { n: MAX_ITEMS }), 'bad');
    } else {
      say(status, '');
    }
    chosen = files.slice(0, MAX_ITEMS).map((file, index) => {
      const node = template.content.firstElementChild.cloneNode(true);
      const n = index + 1;
      const img = node.querySelector('.thumb');
      const url = URL.createObjectURL(file);
      objectUrls.add(url);
      img.src = url;
      img.alt = t('Preview of picture {n}', { n });
      const label = node.querySelector('.item-label-text');
      const field = node.querySelector('.item-label');
      field.id = `label-${n}`;
      label.htmlFor = field.id;
      label.textContent = t('Label for picture {n} (optional)', { n });
      field.value = t('Picture {n}', { n });
      const state = node.querySelector('.item-state');
      state.id = `state-${n}`;
      field.setAttribute('aria-describedby', state.id);
      list.append(node);
      return { file, field, state };
    });
    toggle.hidden = chosen.length === 0;
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const { code, secret } = credentials(form);
    if (!code || !secret) {
      say(status, t('Enter your case code and secret.'), 'bad');
      (code ? form.querySelector('#secret') : form.querySelector('#code')).focus();
      return;
    }
    if (chosen.length === 0) {
      say(status, t('Choose at least one picture.'), 'bad');
      input.focus();
      return;
    }
    submit.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      const pdq = await import('./pdq.js');
      const items = [];
      let lowQuality = false;
      for (const entry of chosen) {
        say(entry.state, t('Fingerprinting {name}…', { name: entry.file.name }));
        say(status, t('Fingerprinting {name}…', { name: entry.file.name }));
        await nextFrame();
        try {
          const fp = await fingerprintFile(entry.file, pdq);
          items.push({ label: entry.field.value.trim().slice(0, 200), ...fp });
          if (fp.quality < pdq.LOW_QUALITY_THRESHOLD) lowQuality = true;
          say(entry.state, t('Ready'), 'ok');
        } catch (error) {
          say(entry.state, t('Could not read this picture.'), 'bad');
        }
      }
      if (items.length === 0) {
        say(status, t('Could not read this picture.'), 'bad');
        return;
      }
      say(status, t('Sending fingerprints…'));
      const result = await postJSON('/api/v1/victim/fingerprints', { code, secret, items });
      if (!result.ok) {
        say(status, result.message, 'bad');
        return;
      }
      let text = t('Registered: {items} pictures, {added} new fingerprints. {fingerprints} fingerprints are registered for your case in all.', result.data);
      if (lowQuality) text += ' ' + t('Some pictures are too plain to fingerprint reliably; they are registered anyway.');
      say(status, text, 'ok');
      form.querySelector('#secret').value = '';
    } finally {
      submit.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });
}

// ------------------------------------------------------------------------------------------
// Status page: status, registered pictures, withdraw sharing, erase.

function setUpStatus() {
  const form = document.getElementById('status-form');
  if (!form) return;
  const message = form.querySelector('#status-message');
  const view = document.getElementById('case-view');
  const choiceMessage = document.getElementById('choice-message');
  const eraseButton = document.getElementById('erase');
  const confirmBox = document.getElementById('erase-confirm');
  let held = null; // {code, secret} while the case is shown

  function show(data) {
    const c = data.case;
    document.getElementById('case-code').textContent = c.code;
    document.getElementById('case-status').textContent = t(`status.${c.status}`);
    document.getElementById('case-consents').textContent = c.consents.length
      ? c.consents.map((p) => t(`consent.${p}`)).join(', ')
      : t('None');
    document.getElementById('case-fingerprints').textContent = String(data.fingerprints);
    const items = document.getElementById('case-items');
    items.replaceChildren();
    if (data.items.length === 0) {
      const li = document.createElement('li');
      li.textContent = t('No pictures are registered yet.');
      items.append(li);
    }
    for (const item of data.items) {
      const li = document.createElement('li');
      const date = new Date(item.registered_at).toLocaleDateString(document.documentElement.lang || 'ko');
      li.textContent = `${item.label || item.content_id.slice(0, 12)} · ${t('Registered on {date}', { date })}`;
      items.append(li);
    }
    document.getElementById('withdraw-sharing').disabled = !c.consents.includes('partner_sharing');
    view.hidden = false;
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const creds = credentials(form);
    if (!creds.code || !creds.secret) {
      say(message, t('Enter your case code and secret.'), 'bad');
      return;
    }
    say(message, t('Working…'));
    const result = await postJSON('/api/v1/victim/fingerprints/status', creds);
    if (!result.ok) {
      view.hidden = true;
      held = null;
      say(message, result.message, 'bad');
      return;
    }
    held = creds;
    say(message, '');
    say(choiceMessage, '');
    show(result.data);
    view.focus();
  });

  document.getElementById('withdraw-sharing').addEventListener('click', async () => {
    if (!held) return;
    say(choiceMessage, t('Working…'));
    const result = await postJSON('/api/v1/victim/sharing/withdraw', held);
    if (!result.ok) {
      say(choiceMessage, result.message, 'bad');
      return;
    }
    const consents = document.getElementById('case-consents');
    consents.textContent = result.data.consents.length
      ? result.data.consents.map((p) => t(`consent.${p}`)).join(', ')
      : t('None');
    document.getElementById('withdraw-sharing').disabled = true;
    say(choiceMessage, t('Sharing with partner platforms is now off.'), 'ok');
  });

  eraseButton.addEventListener('click', () => {
    confirmBox.hidden = false;
    eraseButton.setAttribute('aria-expanded', 'true');
    document.getElementById('erase-no').focus();
  });
  document.getElementById('erase-no').addEventListener('click', () => {
    confirmBox.hidden = true;
    eraseButton.setAttribute('aria-expanded', 'false');
    eraseButton.focus();
  });
  document.getElementById('erase-yes').addEventListener('click', async () => {
    if (!held) return;
    say(choiceMessage, t('Working…'));
    const result = await postJSON('/api/v1/victim/erase', held);
    if (!result.ok) {
      say(choiceMessage, result.message, 'bad');
      return;
    }
    held = null;
    form.reset();
    view.hidden = true;
    confirmBox.hidden = true;
    say(message, t('Your data has been erased.'), 'ok');
    form.querySelector('#code').focus();
  });
}

setUpNavigation();
setUpRegister();
setUpStatus();
