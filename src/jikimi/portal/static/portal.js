// portal.js: the victim portal's pages (ES module, no build step, no inline script: the app
// sends `script-src 'self'`).
//
// Principle 1: the victim's pictures never leave her device. Files are read here, decoded with
// createImageBitmap onto a canvas, and fingerprinted with ./pdq.js (PDQ with quality and the
// registration variants, MD5) and WebCrypto (SHA-256). Only the fingerprints and her own labels
// are sent, as JSON, to POST /api/v1/victim/fingerprints. Thumbnails are blob: URLs of the
// local files and are revoked when the list changes or on quick exit.
//
// Videos are sampled at one frame per second through a <video> element and a canvas (past an
// hour, more sparsely, so that a video never has more than MAX_VIDEO_FRAMES frames); each
// frame gets PDQ at full size, as Meta's vPDQ does, and the list of frames is sent.
//
// pdq.js is imported on demand (only the register page needs it), so that the quick-exit
// button and the other pages work even if the hashing code could not load.
//
// The face page is the one exception to principle 1, and says so before she chooses: a face
// template cannot be computed in the browser, so her reference photos are uploaded, embedded
// and discarded (POST /api/v1/victim/faces, one photo per request, never stored).

const MAX_ITEMS = 100;
// As the server (jikimi.portal.routes): frames per video and per request.
const MAX_VIDEO_FRAMES = 3600;
const MAX_SUBMISSION_FRAMES = 6000;
const MAX_FACE_PHOTOS = 5;
const MAX_REQUEST_CHARS = 700_000;
const SUBMISSION_FORMAT = 'jikimi-submission';

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
 *   variants: Array<{name: string, pdq: string, quality: number}>,
 *   regions: Array<{name: string, pdq: string, quality: number}>}>}
 */
export async function fingerprintFile(file, pdq) {
  const buffer = await file.arrayBuffer();
  const bytes = new Uint8Array(buffer);
  const sha256 = toHex(await crypto.subtle.digest('SHA-256', buffer));
  const md5 = pdq.md5(bytes);
  const bitmap = await decode(file);
  let variants;
  let regions;
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
    regions = pdq.registrationRegions(image.data, width, height, { jpegDraft: jpeg });
    canvas.width = 0;
    canvas.height = 0;
  } finally {
    bitmap.close();
  }
  const original = variants.find((v) => v.name === 'original');
  return {
    kind: 'image',
    sha256,
    md5,
    pdq: original.hash,
    quality: original.quality,
    variants: variants
      .filter((v) => v.name !== 'original')
      .map((v) => ({ name: v.name, pdq: v.hash, quality: v.quality })),
    regions: regions.map((v) => ({ name: v.name, pdq: v.hash, quality: v.quality })),
  };
}

const nextFrame = () => new Promise((resolve) => setTimeout(resolve, 0));

function isVideo(file) {
  return /^video\//.test(file.type) || /\.(mp4|m4v|webm|mov|mkv|ogv)$/i.test(file.name);
}

/** Resolve on `ok`, reject on `error` or after `ms` milliseconds. */
function when(target, ok, ms = 20000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(reject, new Error('timeout')), ms);
    function finish(fn, value) {
      clearTimeout(timer);
      target.removeEventListener(ok, onOk);
      target.removeEventListener('error', onError);
      fn(value);
    }
    function onOk() { finish(resolve); }
    function onError() { finish(reject, new Error('cannot decode')); }
    target.addEventListener(ok, onOk);
    target.addEventListener('error', onError);
  });
}

/** Sample times: every second (every `step` seconds past MAX_VIDEO_FRAMES seconds). */
export function sampleTimes(duration) {
  if (!Number.isFinite(duration) || duration <= 0) return [0];
  const step = Math.max(1, Math.ceil(duration / MAX_VIDEO_FRAMES));
  const times = [];
  for (let t = 0; t < duration && times.length < MAX_VIDEO_FRAMES; t += step) times.push(t);
  return times;
}

/**
 * Wait until the frame a seek landed on is ready to be drawn: 'seeked' can fire before a busy
 * browser has decoded it, and drawing then copies the previous frame. Waits for the video's
 * next frame callback where the browser has one, at most half a second (never hangs).
 */
function framePresented(video) {
  if (typeof video.requestVideoFrameCallback !== 'function') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 500);
    video.requestVideoFrameCallback(() => { clearTimeout(timer); resolve(); });
  });
}

/**
 * The fingerprints of one video file, computed here: SHA-256, MD5, and PDQ of one frame per
 * second drawn from a <video> element onto a canvas (vPDQ). Nothing is sent.
 * @returns {Promise<{kind: 'video', sha256: string, md5: string,
 *   frames: Array<{frame: number, timestamp: number, quality: number, pdq: string}>}>}
 */
export async function fingerprintVideo(file, pdq, progress = () => {}) {
  const buffer = await file.arrayBuffer();
  const sha256 = toHex(await crypto.subtle.digest('SHA-256', buffer));
  const md5 = pdq.md5(new Uint8Array(buffer));
  const url = URL.createObjectURL(file);
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.preload = 'auto';
  const canvas = document.createElement('canvas');
  try {
    const loaded = when(video, 'loadeddata');
    video.src = url;
    await loaded;
    const width = video.videoWidth;
    const height = video.videoHeight;
    if (!width || !height) throw new Error('no picture in this video');
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext('2d', { willReadFrequently: true, alpha: false });
    if (!Number.isFinite(video.duration)) {
      // Recordings without a length in their header (MediaRecorder WebM): seeking far past
      // the end makes the browser find it.
      const found = when(video, 'seeked');
      video.currentTime = 1e9;
      await found;
    }
    const times = sampleTimes(video.duration);
    const frames = [];
    for (let k = 0; k < times.length; k++) {
      const seeked = when(video, 'seeked');
      video.currentTime = times[k];
      await seeked;
      await framePresented(video);
      ctx.drawImage(video, 0, 0, width, height);
      const image = ctx.getImageData(0, 0, width, height);
      const h = pdq.pdqFromRGBA(image.data, width, height);
      frames.push({ frame: k, timestamp: Math.round(times[k] * 1000) / 1000, quality: h.quality, pdq: h.hash });
      progress(k + 1, times.length);
    }
    return { kind: 'video', sha256, md5, frames };
  } finally {
    video.removeAttribute('src');
    video.load();
    URL.revokeObjectURL(url);
    canvas.width = 0;
    canvas.height = 0;
  }
}

/** Split items into requests the server accepts (at most 100 items, 6,000 frames and about
 * 700 kB of JSON each: the server takes bodies of up to 1 MB). */
export function batches(items) {
  const out = [];
  let current = [];
  let frames = 0;
  let bytes = 0;
  for (const item of items) {
    const n = item.frames ? item.frames.length : 0;
    const size = JSON.stringify(item).length;
    if (current.length && (current.length >= MAX_ITEMS || frames + n > MAX_SUBMISSION_FRAMES
        || bytes + size > MAX_REQUEST_CHARS)) {
      out.push(current);
      current = [];
      frames = 0;
      bytes = 0;
    }
    current.push(item);
    frames += n;
    bytes += size;
  }
  if (current.length) out.push(current);
  return out;
}

/** Send items in as many requests as needed; the totals of all of them. */
async function sendItems(code, secret, items) {
  let added = 0;
  let fingerprints = 0;
  for (const part of batches(items)) {
    const result = await postJSON('/api/v1/victim/fingerprints', { code, secret, items: part });
    if (!result.ok) return { ...result, added };
    added += result.data.added;
    fingerprints = result.data.fingerprints;
  }
  return { ok: true, data: { items: items.length, added, fingerprints } };
}

/** The items of a submission file written by `jikimi hash --submission` (read here). */
async function readSubmission(file) {
  if (file.size > 5_000_000) throw new Error('too large');
  const data = JSON.parse(await file.text());
  if (!data || data.format !== SUBMISSION_FORMAT || data.version !== 1 || !Array.isArray(data.items)) {
    throw new Error('not a submission file');
  }
  return data.items;
}

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
  const submissionInput = form.querySelector('#submission');
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
      if (isVideo(file)) {
        // No preview of a video: a neutral box that says what it is.
        const box = document.createElement('span');
        box.className = 'thumb video-thumb';
        box.textContent = t('Video');
        img.replaceWith(box);
      } else {
        const url = URL.createObjectURL(file);
        objectUrls.add(url);
        img.src = url;
        img.alt = t('Preview of picture {n}', { n });
      }
      const label = node.querySelector('.item-label-text');
      const field = node.querySelector('.item-label');
      field.id = `label-${n}`;
      label.htmlFor = field.id;
      label.textContent = t('Label for picture {n} (optional)', { n });
      field.value = t('Picture {n}', { n });
      const noteLabel = node.querySelector('.item-note-text');
      const note = node.querySelector('.item-note');
      note.id = `note-${n}`;
      noteLabel.htmlFor = note.id;
      noteLabel.textContent = t('Note for picture {n} (optional, stored encrypted)', { n });
      const state = node.querySelector('.item-state');
      state.id = `state-${n}`;
      field.setAttribute('aria-describedby', state.id);
      list.append(node);
      return { file, field, note, state };
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
    const submissionFile = submissionInput && submissionInput.files && submissionInput.files[0];
    if (chosen.length === 0 && !submissionFile) {
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
      if (submissionFile) {
        try {
          items.push(...await readSubmission(submissionFile));
        } catch {
          say(status, t('This is not a submission file from the jikimi hash program.'), 'bad');
          submissionInput.focus();
          return;
        }
      }
      for (const entry of chosen) {
        say(entry.state, t('Fingerprinting {name}…', { name: entry.file.name }));
        say(status, t('Fingerprinting {name}…', { name: entry.file.name }));
        await nextFrame();
        try {
          const label = entry.field.value.trim().slice(0, 200);
          const note = entry.note.value.trim().slice(0, 500);
          if (isVideo(entry.file)) {
            const fp = await fingerprintVideo(entry.file, pdq, (done, total) => {
              say(entry.state, t('Video: frame {done} of {total}', { done, total }));
            });
            items.push({ label, note, ...fp });
          } else {
            const fp = await fingerprintFile(entry.file, pdq);
            items.push({ label, note, ...fp });
            if (fp.quality < pdq.LOW_QUALITY_THRESHOLD) lowQuality = true;
          }
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
      const result = await sendItems(code, secret, items);
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
      const kind = item.kind === 'video' ? t('Video') : t('Picture');
      const found = item.found
        ? t('Copies found: {n}. The centre is asking the sites to delete them.', { n: item.found })
        : t('No copies found so far.');
      li.textContent = `${item.label || item.content_id.slice(0, 12)} (${kind}) · ${t('Registered on {date}', { date })} · ${found}`;
      if (item.note) {
        const note = document.createElement('p');
        note.className = 'item-note-shown';
        note.textContent = t('Your note: {note}', { note: item.note });
        li.append(note);
      }
      items.append(li);
    }
    const takedowns = document.getElementById('case-takedowns');
    takedowns.replaceChildren();
    if (data.takedowns.length === 0) {
      const li = document.createElement('li');
      li.textContent = t('No deletion requests yet.');
      takedowns.append(li);
    }
    for (const request of data.takedowns) {
      const li = document.createElement('li');
      const values = { site: request.site, removed: request.removed, n: request.addresses };
      li.textContent = `${request.site}: ${t(`takedown.${request.stage}`, values)}`;
      takedowns.append(li);
    }
    document.getElementById('case-found').textContent = data.found
      ? t('{n} places', { n: data.found }) : t('None so far');
    document.getElementById('case-faces').textContent = data.faces
      ? t('On: {n} face templates', { n: data.faces }) : t('Off');
    showConsents(c.consents);
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

  // Each consent: she gives or withdraws it herself (POST /api/v1/victim/consents).
  function showConsents(consents) {
    document.getElementById('case-consents').textContent = consents.length
      ? consents.map((p) => t(`consent.${p}`)).join(', ')
      : t('None');
    for (const button of document.querySelectorAll('.consent-toggle')) {
      const on = consents.includes(button.dataset.purpose);
      button.dataset.give = on ? 'false' : 'true';
      button.textContent = on ? t('Withdraw consent') : t('Give consent');
      button.classList.toggle('primary', !on);
      const state = document.getElementById(`consent-state-${button.dataset.purpose}`);
      if (state) state.textContent = on ? t('Given') : t('Not given');
    }
  }

  for (const button of document.querySelectorAll('.consent-toggle')) {
    button.addEventListener('click', async () => {
      if (!held) return;
      const give = button.dataset.give === 'true';
      const purpose = button.dataset.purpose;
      say(choiceMessage, t('Working…'));
      button.disabled = true;
      const result = await postJSON('/api/v1/victim/consents', { ...held, purpose, give });
      button.disabled = false;
      if (!result.ok) {
        say(choiceMessage, result.message, 'bad');
        return;
      }
      showConsents(result.data.consents);
      if (!give && purpose === 'face_search') document.getElementById('case-faces').textContent = t('Off');
      const name = t(`consent.${purpose}`);
      say(choiceMessage, give ? t('Consent given: {purpose}.', { purpose: name })
        : t('Consent withdrawn: {purpose}.', { purpose: name }), 'ok');
      button.focus();
    });
  }

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

// ------------------------------------------------------------------------------------------
// New case: the code and secret are shown once, here.

function setUpNewCase() {
  const button = document.getElementById('new-case');
  if (!button) return;
  const message = document.getElementById('new-case-message');
  const result = document.getElementById('new-case-result');
  button.addEventListener('click', async () => {
    button.disabled = true;
    say(message, t('Working…'));
    const response = await postJSON('/api/v1/victim/cases', {});
    if (!response.ok) {
      button.disabled = false;
      say(message, response.message, 'bad');
      return;
    }
    say(message, '');
    document.getElementById('new-code').textContent = response.data.code;
    document.getElementById('new-secret').textContent = response.data.secret;
    button.hidden = true;
    result.hidden = false;
    result.focus();
  });
  const copy = document.getElementById('copy-case');
  copy.addEventListener('click', async () => {
    const text = `${document.getElementById('new-code').textContent} ${document.getElementById('new-secret').textContent}`;
    try {
      await navigator.clipboard.writeText(text);
      say(document.getElementById('copy-message'), t('Copied.'), 'ok');
    } catch {
      say(document.getElementById('copy-message'), t('Could not copy. Please write them down.'), 'bad');
    }
  });
}

// ------------------------------------------------------------------------------------------
// Face search: consent on this page, then photos uploaded one by one (embedded, discarded).

function setUpFaces() {
  const form = document.getElementById('faces-form');
  if (!form) return;
  const status = form.querySelector('#faces-status');
  const input = form.querySelector('#face-photos');
  const consent = form.querySelector('#face-consent');
  const submit = form.querySelector('#faces-submit');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const { code, secret } = credentials(form);
    if (!code || !secret) {
      say(status, t('Enter your case code and secret.'), 'bad');
      (code ? form.querySelector('#secret') : form.querySelector('#code')).focus();
      return;
    }
    if (!consent.checked) {
      say(status, t('Face search needs your consent: tick the box if you agree.'), 'bad');
      consent.focus();
      return;
    }
    const files = Array.from(input.files || []).slice(0, MAX_FACE_PHOTOS);
    if (files.length === 0) {
      say(status, t('Choose at least one photo of your face.'), 'bad');
      input.focus();
      return;
    }
    submit.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      say(status, t('Working…'));
      const agreed = await postJSON('/api/v1/victim/faces/consent', { code, secret });
      if (!agreed.ok) {
        say(status, agreed.message, 'bad');
        return;
      }
      let faces = 0;
      let skipped = 0;
      for (let i = 0; i < files.length; i++) {
        say(status, t('Sending photo {n} of {total}…', { n: i + 1, total: files.length }));
        let response;
        try {
          response = await fetch('/api/v1/victim/faces', {
            method: 'POST',
            headers: {
              'Content-Type': files[i].type || 'application/octet-stream',
              Accept: 'application/json',
              'Accept-Language': document.body.dataset.lang || 'ko',
              'X-Case-Code': code,
              'X-Case-Secret': secret,
            },
            body: files[i],
            credentials: 'same-origin',
            cache: 'no-store',
            referrerPolicy: 'no-referrer',
          });
        } catch {
          say(status, t('Could not reach the centre. Check the connection and try again.'), 'bad');
          return;
        }
        const data = await response.json().catch(() => null);
        if (!response.ok) {
          if (data && data.error && data.error.code === 'no_face') {
            skipped++;
            continue;
          }
          say(status, data && data.error ? data.error.message : t('Something went wrong. Try again.'), 'bad');
          return;
        }
        faces += data.faces;
        skipped += data.skipped;
      }
      input.value = '';
      const text = t('Face search is on: {faces} face templates were made. The photos were deleted.', { faces });
      say(status, skipped ? `${text} ${t('{n} photos did not show exactly one face and were not used.', { n: skipped })}` : text,
        faces ? 'ok' : 'bad');
      form.querySelector('#secret').value = '';
    } finally {
      submit.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });
}

setUpNavigation();
setUpRegister();
setUpStatus();
setUpNewCase();
setUpFaces();
