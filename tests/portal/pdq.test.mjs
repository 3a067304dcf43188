// node --test suite for src/jikimi/portal/static/pdq.js against Meta's reference hashes.
// The fixtures directory (PDQ_FIXTURES) holds, per reference image, the RGB(A) pixels the
// Python reference hashes after its downscale (raw RGBA) and the expected hash and quality;
// tests/portal/test_pdq_js.py writes it with Pillow and runs `node --test` on this file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pdqFromRGBA } from '../../src/jikimi/portal/static/pdq.js';

const dir = process.env.PDQ_FIXTURES;
const cases = dir ? JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) : [];

test('fixtures are present', () => {
  assert.ok(dir, 'PDQ_FIXTURES is not set');
  assert.ok(cases.length > 0, 'no reference images');
});

for (const c of cases) {
  test(`reference ${c.name}: hash and quality bit for bit`, () => {
    const data = new Uint8Array(readFileSync(join(dir, c.file)));
    const got = pdqFromRGBA(data, c.width, c.height);
    assert.equal(got.hash, c.hash);
    assert.equal(got.quality, c.quality);
  });
}

test('wrong sizes are refused, not hashed', () => {
  assert.throws(() => pdqFromRGBA(new Uint8Array(10), 4, 4));
});
