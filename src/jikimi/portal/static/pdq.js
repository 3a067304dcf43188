// pdq.js: Meta's PDQ perceptual hash, the reference's Pillow downscale and jikimi's
// registration variants, in one dependency-free ES module that runs unchanged in browsers and
// under Node 20. Images never leave the device: the page decodes a file onto a canvas, reads
// its RGBA pixels and calls the functions below.
//
// What the server does (src/jikimi/hashing/pdq.py, Meta's pdq/python/pdqhashing):
//   1. open the file with Pillow as stored (no EXIF rotation);
//   2. img.thumbnail((512, 512)): Pillow's size rounding, JPEG draft (DCT scaling) when a JPEG
//      is at least 2048 px on both sides, then Image.resize(BICUBIC, reducing_gap=2.0), i.e.
//      an integer box reduce() followed by the fixed-point bicubic convolution of
//      libImaging/Resample.c;
//   3. RGB, luma (float32 of R*0.299 + G*0.587 + B*0.114 computed in double, as the pdqhash
//      binding does), Jarosz box filters (two passes, window ceil(n / 128)), decimation to
//      64x64, 16x16 DCT, bits above the median, quality from the gradient sum.
//
// Bit-exactness: steps 2 (without draft) and 3 are reproduced bit for bit here, so for the same
// RGBA pixels the hash equals the server's. What the browser cannot reproduce exactly:
//   * JPEG decoding: the browser's decoder is not Pillow's libjpeg-turbo build (usually close,
//     sometimes identical); differences of a few bits are normal.
//   * JPEG draft mode: for JPEGs with both sides >= 2048 px Pillow decodes at 1/2, 1/4 or 1/8
//     scale inside libjpeg (scaled IDCT). A browser always decodes at full size; with
//     {jpegDraft: true} downscaleRGBA emulates the scaled decode with a box average and then
//     follows Pillow exactly from there (same sizes, same box). Close, not bit-exact.
//   * Palette ("P" mode) PNG/GIF: Pillow resizes those with NEAREST, not BICUBIC; large palette
//     images (> 512 px) therefore differ by a few bits. Colour profiles, 16-bit PNGs and EXIF
//     orientation are applied by some browsers and not by the server.

export const THUMBNAIL_SIZE = 512;
/** Largest image accepted (width x height), as the server's DecodeLimits.max_pixels. */
export const MAX_PIXELS = 100_000_000;
/** Largest side accepted. */
export const MAX_SIDE = 1 << 20;
export const LOW_QUALITY_THRESHOLD = 50;
export const MATCH_THRESHOLD = 31;

export const DIHEDRAL_NAMES = Object.freeze([
  'original', 'rot90', 'rot180', 'rot270', 'flip_v', 'flip_h', 'transpose', 'transverse',
]);
export const CROP_PERCENTS = Object.freeze([5, 10, 15, 20]);

const f32 = Math.fround;

// ------------------------------------------------------------------------------------------
// Input checks: every public entry point validates before allocating anything.

function checkDimensions(width, height, what = 'image') {
  for (const [name, v] of [['width', width], ['height', height]]) {
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      throw new TypeError(`pdq.js: ${what} ${name} must be an integer, got ${String(v)}`);
    }
    if (v <= 0) throw new RangeError(`pdq.js: ${what} ${name} must be positive, got ${v}`);
    if (v > MAX_SIDE) {
      throw new RangeError(`pdq.js: ${what} ${name} ${v} is larger than the limit ${MAX_SIDE}`);
    }
  }
  if (width * height > MAX_PIXELS) {
    throw new RangeError(
      `pdq.js: ${what} is ${width}x${height} = ${width * height} pixels, more than the limit ` +
        `of ${MAX_PIXELS}; downscale it first`,
    );
  }
}

function asBytes(data) {
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError('pdq.js: pixel data must be a Uint8Array, Uint8ClampedArray or ArrayBuffer');
}

function checkRGBA(data, width, height) {
  checkDimensions(width, height);
  const bytes = asBytes(data);
  const expected = width * height * 4;
  if (bytes.length !== expected) {
    throw new RangeError(
      `pdq.js: RGBA data for ${width}x${height} must have ${expected} bytes, got ${bytes.length}`,
    );
  }
  return bytes;
}

// ------------------------------------------------------------------------------------------
// PDQ (port of Meta's pdq/cpp: pdqhashing.cpp, downscaling.cpp, torben.cpp).

// DCT matrix: 16 x 64, D[i][j] = float(float(sqrt(2/64)) * cos(pi/2/64 * (i+1) * (2j+1))):
// the current reference (dct_matrix_64) rounds the scale factor to float first, then
// multiplies in double and rounds to float. Math.cos is not guaranteed
// to be correctly rounded, so the float values are checked by the tests against Python.
const DCT = (() => {
  const m = new Float32Array(16 * 64);
  const scale = f32(Math.sqrt(2.0 / 64.0));
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 64; j++) {
      m[i * 64 + j] = scale * Math.cos((Math.PI / 2 / 64.0) * (i + 1) * (2 * j + 1));
    }
  }
  return m;
})();

/** Exposed for the tests (float32 DCT matrix, row-major 16 x 64). */
export function _dctMatrix() {
  return DCT.slice();
}

function jaroszWindow(oldDim, newDim) {
  return Math.trunc((oldDim + 2 * newDim - 1) / (2 * newDim));
}

// One 1-D box filter pass, float32 arithmetic exactly as box1DFloat.
function box1D(inv, outv, start, length, stride, fullWindow) {
  const half = Math.trunc((fullWindow + 2) / 2);
  const p1 = half - 1;
  const p2 = fullWindow - half + 1;
  const p3 = length - fullWindow;
  const p4 = half - 1;
  let li = start;
  let ri = start;
  let oi = start;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < p1; i++) {
    sum = f32(sum + inv[ri]);
    n++;
    ri += stride;
  }
  for (let i = 0; i < p2; i++) {
    sum = f32(sum + inv[ri]);
    n++;
    outv[oi] = sum / n;
    ri += stride;
    oi += stride;
  }
  for (let i = 0; i < p3; i++) {
    sum = f32(sum + inv[ri]);
    sum = f32(sum - inv[li]);
    outv[oi] = sum / n;
    li += stride;
    ri += stride;
    oi += stride;
  }
  for (let i = 0; i < p4; i++) {
    sum = f32(sum - inv[li]);
    n--;
    outv[oi] = sum / n;
    li += stride;
    oi += stride;
  }
}

// box1D along one row (stride 1) that stores only the outputs where keep[x] is 1: the same
// running float32 sum, fewer divisions and stores (the last pass reads 64 columns only).
function box1DRowKeep(inv, outv, start, length, fullWindow, keep) {
  const half = Math.trunc((fullWindow + 2) / 2);
  const p1 = half - 1;
  const p2 = fullWindow - half + 1;
  const p3 = length - fullWindow;
  const p4 = half - 1;
  let li = start;
  let ri = start;
  let x = 0;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < p1; i++) {
    sum = f32(sum + inv[ri]);
    n++;
    ri++;
  }
  for (let i = 0; i < p2; i++, x++) {
    sum = f32(sum + inv[ri]);
    n++;
    if (keep[x]) outv[start + x] = sum / n;
    ri++;
  }
  for (let i = 0; i < p3; i++, x++) {
    sum = f32(sum + inv[ri]);
    sum = f32(sum - inv[li]);
    if (keep[x]) outv[start + x] = sum / n;
    li++;
    ri++;
  }
  for (let i = 0; i < p4; i++, x++) {
    sum = f32(sum - inv[li]);
    n--;
    if (keep[x]) outv[start + x] = sum / n;
    li++;
  }
}

// box1D down every column listed in `cols` (all when null) of a row-major width x height
// array at once: row by row, so memory is read in order. Per column the arithmetic is exactly
// box1D(inv, outv, j, height, width, fullWindow)'s (same float32 sums in the same order).
function box1DColumns(inv, outv, width, height, fullWindow, cols) {
  const half = Math.trunc((fullWindow + 2) / 2);
  const p1 = half - 1;
  const p2 = fullWindow - half + 1;
  const p3 = height - fullWindow;
  const p4 = half - 1;
  const m = cols ? cols.length : width;
  const sums = new Float32Array(m);
  let r = 0;
  let l = 0;
  let o = 0;
  let n = 0;
  for (let i = 0; i < p1; i++, r++) {
    const rr = r * width;
    n++;
    if (cols) for (let c = 0; c < m; c++) sums[c] += inv[rr + cols[c]];
    else for (let c = 0; c < m; c++) sums[c] += inv[rr + c];
  }
  for (let i = 0; i < p2; i++, r++, o++) {
    const rr = r * width;
    const oo = o * width;
    n++;
    if (cols) {
      for (let c = 0; c < m; c++) {
        const j = cols[c];
        sums[c] += inv[rr + j];
        outv[oo + j] = sums[c] / n;
      }
    } else {
      for (let c = 0; c < m; c++) {
        sums[c] += inv[rr + c];
        outv[oo + c] = sums[c] / n;
      }
    }
  }
  for (let i = 0; i < p3; i++, r++, l++, o++) {
    const rr = r * width;
    const ll = l * width;
    const oo = o * width;
    if (cols) {
      for (let c = 0; c < m; c++) {
        const j = cols[c];
        sums[c] += inv[rr + j];
        sums[c] -= inv[ll + j];
        outv[oo + j] = sums[c] / n;
      }
    } else {
      for (let c = 0; c < m; c++) {
        sums[c] += inv[rr + c];
        sums[c] -= inv[ll + c];
        outv[oo + c] = sums[c] / n;
      }
    }
  }
  for (let i = 0; i < p4; i++, l++, o++) {
    const ll = l * width;
    const oo = o * width;
    n--;
    if (cols) {
      for (let c = 0; c < m; c++) {
        const j = cols[c];
        sums[c] -= inv[ll + j];
        outv[oo + j] = sums[c] / n;
      }
    } else {
      for (let c = 0; c < m; c++) {
        sums[c] -= inv[ll + c];
        outv[oo + c] = sums[c] / n;
      }
    }
  }
}

function torbenMedian(m) {
  // Torben's median (torben.cpp); equal to the (n+1)/2-th smallest value for finite input.
  const n = m.length;
  let min = m[0];
  let max = m[0];
  for (let i = 1; i < n; i++) {
    if (m[i] < min) min = m[i];
    if (m[i] > max) max = m[i];
  }
  const half = Math.trunc((n + 1) / 2);
  let less;
  let greater;
  let equal;
  let guess;
  let maxlt;
  let mingt;
  for (;;) {
    guess = f32((min + max) / 2);
    less = 0;
    greater = 0;
    equal = 0;
    maxlt = min;
    mingt = max;
    for (let i = 0; i < n; i++) {
      const v = m[i];
      if (v < guess) {
        less++;
        if (v > maxlt) maxlt = v;
      } else if (v > guess) {
        greater++;
        if (v < mingt) mingt = v;
      } else {
        equal++;
      }
    }
    if (less <= half && greater <= half) break;
    else if (less > greater) max = maxlt;
    else min = mingt;
  }
  if (less >= half) return maxlt;
  if (less + equal >= half) return guess;
  return mingt;
}

function hashFromLuma(luma, width, height) {
  if (width < 5 || height < 5) {
    // MIN_HASHABLE_DIM in the reference: all-zero hash, quality 0.
    return { hash: '0'.repeat(64), quality: 0 };
  }
  const b64 = new Float32Array(64 * 64);
  if (width === 64 && height === 64) {
    b64.set(luma);
  } else {
    const tmp = new Float32Array(width * height);
    const wRows = jaroszWindow(width, 64);
    const wCols = jaroszWindow(height, 64);
    // Only the 64 sampled columns of the last column pass are ever read.
    const sampled = new Int32Array(64);
    for (let oj = 0; oj < 64; oj++) sampled[oj] = Math.trunc(((oj + 0.5) * width) / 64);
    for (let i = 0; i < height; i++) box1D(luma, tmp, i * width, width, 1, wRows);
    box1DColumns(tmp, luma, width, height, wCols, null);
    const keep = new Uint8Array(width);
    for (const j of sampled) keep[j] = 1;
    for (let i = 0; i < height; i++) box1DRowKeep(luma, tmp, i * width, width, wRows, keep);
    box1DColumns(tmp, luma, width, height, wCols, sampled);
    for (let oi = 0; oi < 64; oi++) {
      const ini = Math.trunc(((oi + 0.5) * height) / 64);
      for (let oj = 0; oj < 64; oj++) {
        const inj = Math.trunc(((oj + 0.5) * width) / 64);
        b64[oi * 64 + oj] = luma[ini * width + inj];
      }
    }
  }

  // Quality: gradient sum (float arithmetic, truncation to int).
  let gradientSum = 0;
  for (let i = 0; i < 63; i++) {
    for (let j = 0; j < 64; j++) {
      const d = Math.trunc(f32(f32(f32(b64[i * 64 + j] - b64[(i + 1) * 64 + j]) * 100) / 255));
      gradientSum += Math.abs(d);
    }
  }
  for (let i = 0; i < 64; i++) {
    for (let j = 0; j < 63; j++) {
      const d = Math.trunc(f32(f32(f32(b64[i * 64 + j] - b64[i * 64 + j + 1]) * 100) / 255));
      gradientSum += Math.abs(d);
    }
  }
  const quality = Math.min(100, Math.trunc(gradientSum / 90));

  // DCT: T = D A (16 x 64), B = T D^t (16 x 16); float sums in the reference's order.
  const T = new Float32Array(16 * 64);
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 64; j++) {
      let s = 0;
      for (let k = 0; k < 64; k++) s = f32(s + f32(DCT[i * 64 + k] * b64[k * 64 + j]));
      T[i * 64 + j] = s;
    }
  }
  const B = new Float32Array(256);
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 16; j++) {
      let s = 0;
      for (let k = 0; k < 64; k++) s = f32(s + f32(T[i * 64 + k] * DCT[j * 64 + k]));
      B[i * 16 + j] = s;
    }
  }
  const median = torbenMedian(B);
  // Hash256: 16 words of 16 bits, bit k = i*16+j in word k>>4; printed word 15 first.
  const words = new Uint16Array(16);
  for (let k = 0; k < 256; k++) if (B[k] > median) words[k >> 4] |= 1 << (k & 15);
  let hex = '';
  for (let w = 15; w >= 0; w--) hex += words[w].toString(16).padStart(4, '0');
  return { hash: hex, quality };
}

/**
 * PDQ of RGBA pixels (alpha ignored), exactly as Meta's reference / the pdqhash package on the
 * same RGB pixels. No downscaling: call downscaleRGBA first to match the server on a file.
 * @returns {{hash: string, quality: number}}
 */
export function pdqFromRGBA(data, width, height) {
  const px = checkRGBA(data, width, height);
  const n = width * height;
  const luma = new Float32Array(n);
  for (let i = 0, p = 0; i < n; i++, p += 4) {
    luma[i] = px[p] * 0.299 + px[p + 1] * 0.587 + px[p + 2] * 0.114;
  }
  return hashFromLuma(luma, width, height);
}

// ------------------------------------------------------------------------------------------
// Pillow's thumbnail((512, 512)): size, draft, reduce, bicubic resample.

/**
 * The size Pillow's Image.thumbnail((max, max)) gives, or the size unchanged when the image
 * already fits. Same rounding as Pillow 13 (round_aspect with its key functions).
 * @returns {[number, number]}
 */
export function thumbnailSize(width, height, max = THUMBNAIL_SIZE) {
  checkDimensions(width, height);
  if (!Number.isInteger(max) || max <= 0) throw new RangeError(`pdq.js: bad max size ${max}`);
  let x = max;
  let y = max;
  if (x >= width && y >= height) return [width, height];
  const aspect = width / height;
  const pick = (number, key) => {
    const lo = Math.floor(number);
    const hi = Math.ceil(number);
    const best = key(hi) < key(lo) ? hi : lo; // min() keeps the first on ties
    return Math.max(best, 1);
  };
  if (x / y >= aspect) {
    x = pick(y * aspect, (n) => Math.abs(aspect - n / y));
  } else {
    y = pick(x / aspect, (n) => (n === 0 ? 0 : Math.abs(aspect - x / n)));
  }
  return [x, y];
}

/** JPEG draft scale Pillow's thumbnail asks libjpeg for (1, 2, 4 or 8). */
export function jpegDraftScale(width, height, max = THUMBNAIL_SIZE, reducingGap = 2.0) {
  const req = Math.trunc(max * reducingGap);
  const scale = Math.min(Math.floor(width / req), Math.floor(height / req));
  for (const s of [8, 4, 2, 1]) if (scale >= s) return s;
  return 1;
}

// Pillow's Image.reduce over a box (x0, y0, x1, y1) of ints: box averages with the fixed-point
// rounding of libImaging/Reduce.c; partial blocks at the right/bottom average what exists.
function reduceMultiplier(n) {
  // division_UINT32(n, 8): (UINT32)((float)2^32 / (float)(256 * n))
  return Math.trunc(f32(4294967296 / f32(256 * n)));
}

function reduceRGBA(src, w, h, fx, fy, box) {
  const [bx, by, bx1, by1] = box;
  const bw = bx1 - bx;
  const bh = by1 - by;
  const ow = Math.ceil(bw / fx);
  const oh = Math.ceil(bh / fy);
  const out = new Uint8ClampedArray(ow * oh * 4);
  const mults = new Map();
  const mult = (n) => {
    let m = mults.get(n);
    if (m === undefined) mults.set(n, (m = reduceMultiplier(n)));
    return m;
  };
  // Exact integer sums per output pixel, accumulated row by row (sequential reads).
  const acc = new Float64Array(ow * 4);
  for (let oy = 0; oy < oh; oy++) {
    const y0 = by + oy * fy;
    const y1 = Math.min(y0 + fy, by1);
    acc.fill(0);
    for (let yy = y0; yy < y1; yy++) {
      const row = yy * w;
      for (let ox = 0; ox < ow; ox++) {
        const x0 = bx + ox * fx;
        const x1 = Math.min(x0 + fx, bx1);
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let p = (row + x0) * 4, e = (row + x1) * 4; p < e; p += 4) {
          s0 += src[p];
          s1 += src[p + 1];
          s2 += src[p + 2];
          s3 += src[p + 3];
        }
        const a = ox * 4;
        acc[a] += s0;
        acc[a + 1] += s1;
        acc[a + 2] += s2;
        acc[a + 3] += s3;
      }
    }
    for (let ox = 0; ox < ow; ox++) {
      const x0 = bx + ox * fx;
      const x1 = Math.min(x0 + fx, bx1);
      const n = (y1 - y0) * (x1 - x0);
      const amend = Math.trunc(n / 2);
      const m = mult(n);
      const a = ox * 4;
      const q = (oy * ow + ox) * 4;
      for (let c = 0; c < 4; c++) out[q + c] = Math.floor(((acc[a + c] + amend) * m) / 16777216) & 255;
    }
  }
  return { data: out, width: ow, height: oh };
}

const PRECISION_BITS = 32 - 8 - 2;

function bicubic(x) {
  const a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

// precompute_coeffs + normalize_coeffs_8bpc of Resample.c (in0/in1 are C floats).
function coefficients(inSize, in0, in1, outSize) {
  const scale = f32(in1 - in0) / outSize;
  const filterscale = scale < 1.0 ? 1.0 : scale;
  const support = 2.0 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const kk = new Int32Array(outSize * ksize);
  const bounds = new Int32Array(outSize * 2);
  const k = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = in0 + (xx + 0.5) * scale;
    const ss = 1.0 / filterscale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0.0;
    for (let x = 0; x < xmax; x++) {
      const w = bicubic((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0.0 ? k[x] / ww : k[x];
      kk[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * (1 << PRECISION_BITS))
        : Math.trunc(0.5 + v * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, kk, bounds };
}

function clip8(ss) {
  const v = Math.floor(ss / (1 << PRECISION_BITS));
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

// One horizontal pass of Resample.c (ImagingResampleHorizontal_8bpc) on rows
// [offset, offset + rows) of src (w wide), into a new outW x rows image.
function passHorizontal(src, w, rows, offset, outW, co) {
  const out = new Uint8ClampedArray(outW * rows * 4);
  const half = 1 << (PRECISION_BITS - 1);
  for (let yy = 0; yy < rows; yy++) {
    const rowBase = (yy + offset) * w * 4;
    for (let xx = 0; xx < outW; xx++) {
      const xmin = co.bounds[xx * 2];
      const xmax = co.bounds[xx * 2 + 1];
      const kb = xx * co.ksize;
      let s0 = half;
      let s1 = half;
      let s2 = half;
      let s3 = half;
      let p = rowBase + xmin * 4;
      for (let x = 0; x < xmax; x++, p += 4) {
        const c = co.kk[kb + x];
        s0 += src[p] * c;
        s1 += src[p + 1] * c;
        s2 += src[p + 2] * c;
        s3 += src[p + 3] * c;
      }
      const q = (yy * outW + xx) * 4;
      out[q] = clip8(s0);
      out[q + 1] = clip8(s1);
      out[q + 2] = clip8(s2);
      out[q + 3] = clip8(s3);
    }
  }
  return out;
}

// One vertical pass (ImagingResampleVertical_8bpc): src is w wide, output w x outH.
function passVertical(src, w, outH, co) {
  const out = new Uint8ClampedArray(w * outH * 4);
  const half = 1 << (PRECISION_BITS - 1);
  for (let yy = 0; yy < outH; yy++) {
    const ymin = co.bounds[yy * 2];
    const ymax = co.bounds[yy * 2 + 1];
    const kb = yy * co.ksize;
    for (let xx = 0; xx < w; xx++) {
      let s0 = half;
      let s1 = half;
      let s2 = half;
      let s3 = half;
      let p = (ymin * w + xx) * 4;
      for (let y = 0; y < ymax; y++, p += w * 4) {
        const c = co.kk[kb + y];
        s0 += src[p] * c;
        s1 += src[p + 1] * c;
        s2 += src[p + 2] * c;
        s3 += src[p + 3] * c;
      }
      const q = (yy * w + xx) * 4;
      out[q] = clip8(s0);
      out[q + 1] = clip8(s1);
      out[q + 2] = clip8(s2);
      out[q + 3] = clip8(s3);
    }
  }
  return out;
}

// ImagingResampleInner of Pillow 13 (BICUBIC, 8 bits per channel, 4 channels), float box.
// The pass order matters for the rounding: Pillow runs the vertical pass first when the
// height shrinks by more than twice as many pixels as the width.
function resampleRGBA(src, w, h, outW, outH, box) {
  const bx0 = f32(box[0]);
  const by0 = f32(box[1]);
  const bx1 = f32(box[2]);
  const by1 = f32(box[3]);
  const needH = outW !== w || bx0 !== 0 || bx1 !== outW;
  const needV = outH !== h || by0 !== 0 || by1 !== outH;
  const horizontalFirst = !(h - outH > 0 && h - outH > (w - outW) * 2);
  if (!needH && !needV) return src.slice();
  const vert = (needH && horizontalFirst) || needV ? coefficients(h, by0, by1, outH) : null;
  const hor = needH ? coefficients(w, bx0, bx1, outW) : null;
  if (horizontalFirst) {
    let cur = src;
    if (needH) {
      const yFirst = vert.bounds[0];
      const yLast = vert.bounds[outH * 2 - 2] + vert.bounds[outH * 2 - 1];
      for (let i = 0; i < outH; i++) vert.bounds[i * 2] -= yFirst;
      cur = passHorizontal(src, w, yLast - yFirst, yFirst, outW, hor);
    }
    if (needV) cur = passVertical(cur, outW, outH, vert);
    return cur;
  }
  let cur = src;
  if (needV) cur = passVertical(src, w, outH, vert);
  if (needH) cur = passHorizontal(cur, w, outH, 0, outW, hor);
  return cur;
}

// Pillow's RGBA <-> RGBa (premultiplied) conversions, which Image.resize goes through for RGBA.
function premultiply(src) {
  const out = new Uint8ClampedArray(src.length);
  for (let p = 0; p < src.length; p += 4) {
    const a = src[p + 3];
    for (let c = 0; c < 3; c++) {
      const t = src[p + c] * a + 128;
      out[p + c] = ((t >> 8) + t) >> 8;
    }
    out[p + 3] = a;
  }
  return out;
}

function unpremultiply(src) {
  const out = new Uint8ClampedArray(src.length);
  for (let p = 0; p < src.length; p += 4) {
    const a = src[p + 3];
    for (let c = 0; c < 3; c++) {
      if (a === 255 || a === 0) out[p + c] = src[p + c];
      else out[p + c] = Math.min(255, Math.trunc((255 * src[p + c]) / a));
    }
    out[p + 3] = a;
  }
  return out;
}

function hasTransparency(px) {
  for (let p = 3; p < px.length; p += 4) if (px[p] !== 255) return true;
  return false;
}

/**
 * Pillow's img.thumbnail((max, max)) on RGBA pixels (as Pillow resizes an RGB image, or an RGBA
 * one through premultiplied alpha when any pixel is not opaque).
 *
 * options.jpegDraft: the pixels are a full-size JPEG decode; emulate Pillow's JPEG draft
 * (libjpeg DCT scaling by 1/2, 1/4 or 1/8 when both sides are >= 2048) with a box average.
 * Approximate: libjpeg's scaled IDCT is not a box average.
 * @returns {{data: Uint8ClampedArray, width: number, height: number}} a new buffer (a copy
 *   when the image already fits).
 */
export function downscaleRGBA(data, width, height, max = THUMBNAIL_SIZE, options = {}) {
  const px = checkRGBA(data, width, height);
  const [tw, th] = thumbnailSize(width, height, max);
  if (tw === width && th === height) {
    return { data: new Uint8ClampedArray(px), width, height };
  }
  const reducingGap = 2.0;
  let src = px;
  let w = width;
  let h = height;
  let box = [0, 0, width, height];
  if (options.jpegDraft) {
    const s = jpegDraftScale(width, height, max, reducingGap);
    if (s > 1) {
      const r = reduceRGBA(px, width, height, s, s, [0, 0, width, height]);
      src = r.data;
      w = r.width;
      h = r.height;
      box = [0, 0, width / s, height / s];
      if (w === tw && h === th) return { data: src, width: w, height: h };
    }
  }
  const transparent = hasTransparency(src);
  if (transparent) src = premultiply(src);
  // Image.resize with reducing_gap: integer reduce first, then the bicubic resample.
  const fx = Math.trunc((box[2] - box[0]) / tw / reducingGap) || 1;
  const fy = Math.trunc((box[3] - box[1]) / th / reducingGap) || 1;
  if (fx > 1 || fy > 1) {
    const support = 2.0 - 0.5;
    const sx = support * ((box[2] - box[0]) / tw);
    const sy = support * ((box[3] - box[1]) / th);
    const rb = [
      Math.max(0, Math.trunc(box[0] - sx)),
      Math.max(0, Math.trunc(box[1] - sy)),
      Math.min(w, Math.ceil(box[2] + sx)),
      Math.min(h, Math.ceil(box[3] + sy)),
    ];
    const r = reduceRGBA(src, w, h, fx, fy, rb);
    src = r.data;
    w = r.width;
    h = r.height;
    box = [
      (box[0] - rb[0]) / fx,
      (box[1] - rb[1]) / fy,
      (box[2] - rb[0]) / fx,
      (box[3] - rb[1]) / fy,
    ];
  }
  let out = resampleRGBA(src, w, h, tw, th, box);
  if (transparent) out = unpremultiply(out);
  return { data: out, width: tw, height: th };
}

/**
 * The server's PDQ of a decoded image: thumbnail step, then PDQ.
 * Accepts an ImageData-like {data, width, height}.
 * @returns {{hash: string, quality: number, width: number, height: number}}
 */
export function pdqFromImageData(imageData, options = {}) {
  if (!imageData || typeof imageData !== 'object') {
    throw new TypeError('pdq.js: expected an ImageData-like {data, width, height}');
  }
  const t = downscaleRGBA(imageData.data, imageData.width, imageData.height, THUMBNAIL_SIZE, options);
  const h = pdqFromRGBA(t.data, t.width, t.height);
  return { hash: h.hash, quality: h.quality, width: t.width, height: t.height };
}

// ------------------------------------------------------------------------------------------
// Dihedral transforms, crops and the registration variants (src/jikimi/hashing/variants.py).

/**
 * One of the 8 dihedral transforms of RGBA pixels, named as in variants.py (Pillow's
 * Image.transpose): rot90 is a quarter turn counter-clockwise, flip_v mirrors top-bottom,
 * flip_h left-right, transpose maps (x, y) to (y, x), transverse about the other diagonal.
 * @returns {{data: Uint8ClampedArray, width: number, height: number}}
 */
export function dihedral(data, width, height, name) {
  const px = checkRGBA(data, width, height);
  const swap = name === 'rot90' || name === 'rot270' || name === 'transpose' || name === 'transverse';
  if (!DIHEDRAL_NAMES.includes(name)) throw new RangeError(`pdq.js: unknown transform ${name}`);
  const ow = swap ? height : width;
  const oh = swap ? width : height;
  const out = new Uint8ClampedArray(ow * oh * 4);
  const out32 = new Uint32Array(out.buffer);
  // Copy whole pixels as 32-bit words (byte order does not matter for a permutation).
  const in32 = px.byteOffset % 4 === 0
    ? new Uint32Array(px.buffer, px.byteOffset, width * height)
    : new Uint32Array(new Uint8Array(px).buffer);
  const W = width;
  const H = height;
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let sx;
      let sy;
      switch (name) {
        case 'original': sx = x; sy = y; break;
        case 'rot90': sx = W - 1 - y; sy = x; break;
        case 'rot180': sx = W - 1 - x; sy = H - 1 - y; break;
        case 'rot270': sx = y; sy = H - 1 - x; break;
        case 'flip_v': sx = x; sy = H - 1 - y; break;
        case 'flip_h': sx = W - 1 - x; sy = y; break;
        case 'transpose': sx = y; sy = x; break;
        default: sx = W - 1 - y; sy = H - 1 - x; break; // transverse
      }
      out32[y * ow + x] = in32[sy * W + sx];
    }
  }
  return { data: out, width: ow, height: oh };
}

/** Pillow's img.crop((left, top, right, bottom)) for a box inside the image. */
export function cropRGBA(data, width, height, box) {
  const px = checkRGBA(data, width, height);
  const [l, t, r, b] = box;
  if (![l, t, r, b].every(Number.isInteger) || l < 0 || t < 0 || r > width || b > height ||
      r <= l || b <= t) {
    throw new RangeError(`pdq.js: crop box ${JSON.stringify(box)} not inside ${width}x${height}`);
  }
  const ow = r - l;
  const out = new Uint8ClampedArray(ow * (b - t) * 4);
  for (let y = t; y < b; y++) {
    out.set(px.subarray((y * width + l) * 4, (y * width + r) * 4), (y - t) * ow * 4);
  }
  return { data: out, width: ow, height: b - t };
}

/** Centred crop removing `percent` % of each side: dx = w*p//200, dy = h*p//200. */
export function cropBox(width, height, percent) {
  const dx = Math.floor((width * percent) / 200);
  const dy = Math.floor((height * percent) / 200);
  return [dx, dy, width - dx, height - dy];
}

// ---- UNFRAMING ---------------------------------------------------------------------------
// A port of jikimi.hashing.variants (frame_boxes, _flat_box, _strip, _band_depth, _sensible,
// source_box, _framed_crop): the same integer arithmetic on the same 8-bit pixels, so the
// unframed variants equal the server's for the same decoded pixels. When variants.py changes,
// change this too: tests/portal/test_pdq_js.py::test_variants_match_server compares every
// variant of framed, letterboxed and screenshot-like images with the server's, bit for bit.
export const FLAT_TOLERANCE = 8;
export const FLAT_PERCENT = 90;
export const FRAME_TOLERANCE = 16;
export const STRICT_PERCENT = 95;
export const LOOSE_PERCENT = 50;
export const MIN_REMOVED_PERCENT = 3;
export const MIN_SIDE = 16;
export const GAP_DIVISOR = 16;
export const MIN_KEPT_DIVISOR = 8;
export const UNFRAMED_NAMES = Object.freeze(['unframed', 'unframed_bands', 'unframed_ui', 'unframed_ui2']);

// A view of a rectangle of RGBA pixels as "lines": line i (0 = outermost from the chosen side)
// has `count` pixels; offset(i, j) is the byte offset of pixel j of line i.
function linesOf(width, box, vertical, reverse) {
  const [l, t, r, b] = box;
  if (!vertical) {
    // rows of the box
    const n = b - t;
    return {
      n, count: r - l,
      offset: (i, j) => ((reverse ? b - 1 - i : t + i) * width + l + j) * 4,
    };
  }
  const n = r - l;
  return {
    n, count: b - t,
    offset: (i, j) => ((t + j) * width + (reverse ? r - 1 - i : l + i)) * 4,
  };
}

// Median colour of a line: per channel, element count // 2 of the sorted values.
function lineMedian(px, lines, i, scratch) {
  const { count, offset } = lines;
  const med = [0, 0, 0];
  for (let c = 0; c < 3; c++) {
    for (let j = 0; j < count; j++) scratch[j] = px[offset(i, j) + c];
    const s = scratch.subarray(0, count);
    s.sort();
    med[c] = s[count >> 1];
  }
  return med;
}

function nearCount(px, lines, i, colour, tolerance) {
  const { count, offset } = lines;
  let near = 0;
  for (let j = 0; j < count; j++) {
    const p = offset(i, j);
    if (Math.abs(px[p] - colour[0]) <= tolerance && Math.abs(px[p + 1] - colour[1]) <= tolerance &&
        Math.abs(px[p + 2] - colour[2]) <= tolerance) near++;
  }
  return near;
}

// _flat_lines: is each line one colour, give or take (>= 90 % within 8 of its median)?
function flatLines(px, lines) {
  const { n, count } = lines;
  const scratch = new Int16Array(count);
  const flat = new Array(n);
  for (let i = 0; i < n; i++) {
    const med = lineMedian(px, lines, i, scratch);
    flat[i] = nearCount(px, lines, i, med, FLAT_TOLERANCE) * 100 >= FLAT_PERCENT * count;
  }
  return flat;
}

function contentStart(flat, run, reverse) {
  let count = 0;
  const n = flat.length;
  for (let i = 0; i < n; i++) {
    count = flat[reverse ? n - 1 - i : i] ? 0 : count + 1;
    if (count === run) return i - run + 1;
  }
  return null;
}

// _content_span: [start, end) of the lines between the flat frame lines on either side.
function contentSpan(flat) {
  const n = flat.length;
  const run = Math.max(2, Math.floor(n / 16));
  const start = contentStart(flat, run, false);
  const end = contentStart(flat, run, true);
  if (start === null || end === null) return null;
  return [start, n - end];
}

// _flat_box: the `unframed` box (rows, columns over the rows kept, rows over the columns kept).
function flatBox(px, w, h) {
  let rows = contentSpan(flatLines(px, linesOf(w, [0, 0, w, h], false, false)));
  if (rows === null) return null;
  let [top, bottom] = rows;
  const cols = contentSpan(flatLines(px, linesOf(w, [0, top, w, bottom], true, false)));
  if (cols === null) return null;
  const [left, right] = cols;
  rows = contentSpan(flatLines(px, linesOf(w, [left, 0, right, h], false, false)));
  if (rows === null) return null;
  [top, bottom] = rows;
  return [left, top, right, bottom];
}

// _band_depth: how many lines from the outside belong to an edge-coloured band.
function bandDepth(px, lines, percent, gap) {
  const { n, count } = lines;
  const colour = lineMedian(px, lines, 0, new Int16Array(count));
  if (nearCount(px, lines, 0, colour, FRAME_TOLERANCE) * 100 < STRICT_PERCENT * count) return 0;
  let depth = 0;
  let run = 0;
  for (let i = 0; i < n; i++) {
    if (nearCount(px, lines, i, colour, FRAME_TOLERANCE) * 100 >= percent * count) {
      depth = i + 1;
      run = 0;
    } else {
      run++;
      if (run === gap) break;
    }
  }
  return depth;
}

// _strip: rows, columns, rows (the first `passes`), each pass on the box left by the previous.
function stripBox(px, w, h, loose, passes) {
  let left = 0;
  let top = 0;
  let right = w;
  let bottom = h;
  for (let step = 0; step < passes; step++) {
    const vertical = step % 2 === 1;
    const box = [left, top, right, bottom];
    const n = vertical ? right - left : bottom - top;
    let percent = STRICT_PERCENT;
    let gap = 1;
    if (loose && step === 0) {
      percent = LOOSE_PERCENT;
      gap = Math.max(2, Math.floor(n / GAP_DIVISOR));
    }
    const first = bandDepth(px, linesOf(w, box, vertical, false), percent, gap);
    const last = bandDepth(px, linesOf(w, box, vertical, true), percent, gap);
    if ((n - first - last) * MIN_KEPT_DIVISOR < n) continue;
    if (vertical) {
      left += first;
      right -= last;
    } else {
      top += first;
      bottom -= last;
    }
  }
  return [left, top, right, bottom];
}

function sensible(box, w, h) {
  if (box === null) return false;
  const bw = box[2] - box[0];
  const bh = box[3] - box[1];
  if (bw * MIN_KEPT_DIVISOR < w || bh * MIN_KEPT_DIVISOR < h || bw < MIN_SIDE || bh < MIN_SIDE) {
    return false;
  }
  return bw * bh * 100 <= (100 - MIN_REMOVED_PERCENT) * w * h;
}

/**
 * The candidate content boxes [left, top, right, bottom] of a reference thumbnail, named and in
 * the server's order (variants.frame_boxes): unframed (flat lines), unframed_bands
 * (edge-coloured bands), unframed_ui (loose first rows pass: screenshots, caption bars),
 * unframed_ui2 (loose rows then strict columns). Boxes that are not sensible or repeat an
 * earlier one are left out.
 * @returns {Array<{name: string, box: number[]}>}
 */
export function frameBoxes(data, width, height) {
  const px = checkRGBA(data, width, height);
  const candidates = [
    ['unframed', flatBox(px, width, height)],
    ['unframed_bands', stripBox(px, width, height, false, 3)],
    ['unframed_ui', stripBox(px, width, height, true, 3)],
    ['unframed_ui2', stripBox(px, width, height, true, 2)],
  ];
  const out = [];
  const seen = new Set();
  for (const [name, box] of candidates) {
    if (box === null || seen.has(box.join(',')) || !sensible(box, width, height)) continue;
    out.push({ name, box });
    seen.add(box.join(','));
  }
  return out;
}

/** The first candidate content box (variants.frame_box), or null. */
export function frameBox(data, width, height) {
  const boxes = frameBoxes(data, width, height);
  return boxes.length ? boxes[0].box : null;
}

/** variants.source_box: a thumbnail box in the full-size image's pixels, rounded inwards. */
export function sourceBox(box, thumbWidth, thumbHeight, width, height) {
  const [l, t, r, b] = box;
  return [
    Math.floor((l * width + thumbWidth - 1) / thumbWidth),
    Math.floor((t * height + thumbHeight - 1) / thumbHeight),
    Math.floor((r * width) / thumbWidth),
    Math.floor((b * height) / thumbHeight),
  ];
}

// variants._framed_crop: cut from the full-size pixels (alpha dropped, as the server converts
// the source to RGB before cropping) and thumbnailed; from the thumbnail when it is the source.
function framedCrop(thumb, box, px, width, height) {
  if (thumb.width === width && thumb.height === height) {
    return cropRGBA(thumb.data, thumb.width, thumb.height, box);
  }
  const c = cropRGBA(px, width, height, sourceBox(box, thumb.width, thumb.height, width, height));
  for (let p = 3; p < c.data.length; p += 4) c.data[p] = 255;
  return downscaleRGBA(c.data, c.width, c.height, THUMBNAIL_SIZE);
}

function unframedVariants(thumb, px, width, height) {
  return frameBoxes(thumb.data, thumb.width, thumb.height).map(({ name, box }) => {
    const c = framedCrop(thumb, box, px, width, height);
    return { name, ...pdqFromRGBA(c.data, c.width, c.height) };
  });
}
// ---- end of UNFRAMING --------------------------------------------------------------------

/**
 * The server's registration_variants for a decoded image at full size (a thumbnail is made
 * first, as the server does; the unframed variants are cut from the full-size pixels). Same
 * names, order and arithmetic as jikimi.hashing.variants.variants_of_thumbnail:
 * original, rot90, rot180, rot270, flip_v, flip_h, transpose, transverse,
 * [unframed, unframed_bands, unframed_ui, unframed_ui2 as found], crop5, crop10, crop15, crop20.
 * options.jpegDraft as for downscaleRGBA (the thumbnail only).
 * @returns {Array<{name: string, hash: string, quality: number}>}
 */
export function registrationVariants(data, width, height, options = {}) {
  const px = checkRGBA(data, width, height);
  const t = downscaleRGBA(px, width, height, THUMBNAIL_SIZE, options);
  const out = [];
  for (const name of DIHEDRAL_NAMES) {
    const d = name === 'original' ? t : dihedral(t.data, t.width, t.height, name);
    out.push({ name, ...pdqFromRGBA(d.data, d.width, d.height) });
  }
  out.push(...unframedVariants(t, px, width, height));
  for (const p of CROP_PERCENTS) {
    const c = cropRGBA(t.data, t.width, t.height, cropBox(t.width, t.height, p));
    out.push({ name: `crop${p}`, ...pdqFromRGBA(c.data, c.width, c.height) });
  }
  return out;
}

/** The hashes a query looks up: original and the unframed variants found (query_variants). */
export function queryVariants(data, width, height, options = {}) {
  const px = checkRGBA(data, width, height);
  const t = downscaleRGBA(px, width, height, THUMBNAIL_SIZE, options);
  return [{ name: 'original', ...pdqFromRGBA(t.data, t.width, t.height) },
    ...unframedVariants(t, px, width, height)];
}

// ---- REGIONS -----------------------------------------------------------------------------
// A port of jikimi.hashing.regions: PDQ of windows of the thumbnail (corners kept, off-centre
// crops, the centre turned by a few degrees), integer arithmetic only, so the hashes equal the
// server's for the same thumbnail pixels. tests/portal/test_pdq_js.py compares them bit for
// bit; when regions.py changes, change this too.

const pad3 = (n) => String(n).padStart(3, '0');

export const KEEP_WINDOWS = Object.freeze([
  ['keep_tl', [0, 0, 200, 200]],
  ['keep_tr', [200, 0, 0, 200]],
  ['keep_bl', [0, 200, 200, 0]],
  ['keep_br', [200, 200, 0, 0]],
  ['keep_top', [0, 0, 0, 600]],
  ['keep_bottom', [0, 600, 0, 0]],
]);
export const OFFCROP_STEPS = Object.freeze([25, 50, 75, 100, 125, 150]);
export const CENTRE_WINDOW = Object.freeze([150, 150, 150, 150]);
export const CENTRED_WINDOWS = Object.freeze([12, 37, 62, 87].map(
  (r) => [`centred_${pad3(r)}`, [r, r, r, r]]));
// [name, cos * 65536, sin * 65536] (rounded; the same integers as regions.TILTS)
export const TILTS = Object.freeze([
  ['tilt_m10', 64540, -11380],
  ['tilt_m9', 64729, -10252],
  ['tilt_m8', 64898, -9121],
  ['tilt_m7', 65048, -7987],
  ['tilt_m6', 65177, -6850],
  ['tilt_m5', 65287, -5712],
  ['tilt_m4', 65376, -4572],
  ['tilt_m3', 65446, -3430],
  ['tilt_m2', 65496, -2287],
  ['tilt_m1', 65526, -1144],
  ['centre70', 65536, 0],
  ['tilt_p1', 65526, 1144],
  ['tilt_p2', 65496, 2287],
  ['tilt_p3', 65446, 3430],
  ['tilt_p4', 65376, 4572],
  ['tilt_p5', 65287, 5712],
  ['tilt_p6', 65177, 6850],
  ['tilt_p7', 65048, 7987],
  ['tilt_p8', 64898, 9121],
  ['tilt_p9', 64729, 10252],
  ['tilt_p10', 64540, 11380],
]);

function axisOptions() {
  const out = [[0, 0]];
  for (const s of OFFCROP_STEPS) out.push([s, 0]);
  for (const s of OFFCROP_STEPS) out.push([0, s]);
  return out;
}

/** The 168 off-centre crop windows [name, [l, t, r, b]] (per mille), in regions.py order. */
export function offcropWindows() {
  const out = [];
  for (const [top, bottom] of axisOptions()) {
    for (const [left, right] of axisOptions()) {
      if (left === 0 && top === 0 && right === 0 && bottom === 0) continue;
      out.push([`offcrop_${pad3(left)}_${pad3(top)}_${pad3(right)}_${pad3(bottom)}`,
        [left, top, right, bottom]]);
    }
  }
  return out;
}

/** regions.window_box: the pixel box of a per-mille window. */
export function windowBox(width, height, window) {
  const [l, t, r, b] = window;
  return [Math.floor((width * l) / 1000), Math.floor((height * t) / 1000),
    width - Math.floor((width * r) / 1000), height - Math.floor((height * b) / 1000)];
}

/** regions.tilted_centre: the centre window turned by [cos, sin] in 16.16 fixed point. */
export function tiltedCentre(data, width, height, cos, sin) {
  const px = checkRGBA(data, width, height);
  const [left, top, right, bottom] = windowBox(width, height, CENTRE_WINDOW);
  if (sin === 0) return cropRGBA(px, width, height, [left, top, right, bottom]);
  const ow = right - left;
  const oh = bottom - top;
  const out = new Uint8ClampedArray(ow * oh * 4);
  const clampX = (v) => (v < 0 ? 0 : v > width - 1 ? width - 1 : v);
  const clampY = (v) => (v < 0 ? 0 : v > height - 1 ? height - 1 : v);
  let o = 0;
  for (let y = top; y < bottom; y++) {
    const dy = 2 * y + 1 - height;
    for (let x = left; x < right; x++) {
      const dx = 2 * x + 1 - width;
      const X = dx * cos - dy * sin + (width - 1) * 65536;
      const Y = dx * sin + dy * cos + (height - 1) * 65536;
      const ix = Math.floor(X / 131072);
      const iy = Math.floor(Y / 131072);
      const fx = Math.floor((X - ix * 131072) / 512);
      const fy = Math.floor((Y - iy * 131072) / 512);
      const x0 = clampX(ix);
      const x1 = clampX(ix + 1);
      const y0 = clampY(iy);
      const y1 = clampY(iy + 1);
      for (let c = 0; c < 3; c++) {
        const p00 = px[(y0 * width + x0) * 4 + c];
        const p01 = px[(y0 * width + x1) * 4 + c];
        const p10 = px[(y1 * width + x0) * 4 + c];
        const p11 = px[(y1 * width + x1) * 4 + c];
        const topRow = p00 * (256 - fx) + p01 * fx;
        const bottomRow = p10 * (256 - fx) + p11 * fx;
        out[o + c] = Math.floor((topRow * (256 - fy) + bottomRow * fy + 32768) / 65536);
      }
      out[o + 3] = 255;
      o += 4;
    }
  }
  return { data: out, width: ow, height: oh };
}

/**
 * The server's registration_regions (signal type pdq_region) for a reference thumbnail
 * {data, width, height} (RGBA): keep_*, offcrop_*, centred_*, then the tilts, in regions.py
 * order.
 * @returns {Array<{name: string, hash: string, quality: number}>}
 */
export function regionsOfThumbnail(thumb) {
  const { data, width, height } = thumb;
  const px = checkRGBA(data, width, height);
  // Luma once for the whole thumbnail (per pixel exactly as pdqFromRGBA), each window's rows
  // copied out of it: the same hashes as pdqFromRGBA of each cropped window, cheaper.
  const luma = new Float32Array(width * height);
  for (let i = 0, p = 0; i < luma.length; i++, p += 4) {
    luma[i] = px[p] * 0.299 + px[p + 1] * 0.587 + px[p + 2] * 0.114;
  }
  const out = [];
  for (const [name, window] of [...KEEP_WINDOWS, ...offcropWindows(), ...CENTRED_WINDOWS]) {
    const [l, t, r, b] = windowBox(width, height, window);
    const ow = r - l;
    const cut = new Float32Array(ow * (b - t));
    for (let y = t; y < b; y++) cut.set(luma.subarray(y * width + l, y * width + r), (y - t) * ow);
    out.push({ name, ...hashFromLuma(cut, ow, b - t) });
  }
  for (const [name, cos, sin] of TILTS) {
    const c = tiltedCentre(data, width, height, cos, sin);
    out.push({ name, ...pdqFromRGBA(c.data, c.width, c.height) });
  }
  return out;
}

/** registrationRegions: the thumbnail step, then regionsOfThumbnail (options as downscaleRGBA). */
export function registrationRegions(data, width, height, options = {}) {
  const px = checkRGBA(data, width, height);
  return regionsOfThumbnail(downscaleRGBA(px, width, height, THUMBNAIL_SIZE, options));
}
// ---- end of REGIONS ----------------------------------------------------------------------

/** Hamming distance between two PDQ hashes (64 hex digits each). */
export function hammingDistance(a, b) {
  const re = /^[0-9a-fA-F]{64}$/;
  if (typeof a !== 'string' || typeof b !== 'string' || !re.test(a) || !re.test(b)) {
    throw new RangeError('pdq.js: a PDQ hash is 64 hex digits');
  }
  let d = 0;
  for (let i = 0; i < 64; i++) {
    let x = parseInt(a[i], 16) ^ parseInt(b[i], 16);
    while (x) {
      d += x & 1;
      x >>= 1;
    }
  }
  return d;
}

// ------------------------------------------------------------------------------------------
// MD5 (RFC 1321). WebCrypto has no MD5; SHA-256 comes from crypto.subtle in the page.

const MD5_S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
const MD5_K = new Int32Array(64);
for (let i = 0; i < 64; i++) MD5_K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 4294967296);

/** MD5 of bytes (Uint8Array, ArrayBuffer or any view), as 32 lowercase hex digits. */
export function md5(bytes) {
  const msg = asBytes(bytes);
  const n = msg.length;
  const total = (((n + 8) >>> 6) + 1) * 64;
  if (total > 2 ** 31) throw new RangeError('pdq.js: md5 input too large');
  const buf = new Uint8Array(total);
  buf.set(msg);
  buf[n] = 0x80;
  const dv = new DataView(buf.buffer);
  dv.setUint32(total - 8, (n * 8) >>> 0, true);
  dv.setUint32(total - 4, Math.floor(n / 0x20000000), true);
  let a0 = 0x67452301 | 0;
  let b0 = 0xefcdab89 | 0;
  let c0 = 0x98badcfe | 0;
  let d0 = 0x10325476 | 0;
  const M = new Int32Array(16);
  for (let off = 0; off < total; off += 64) {
    for (let i = 0; i < 16; i++) M[i] = dv.getInt32(off + i * 4, true);
    let A = a0;
    let B = b0;
    let C = c0;
    let D = d0;
    for (let i = 0; i < 64; i++) {
      let F;
      let g;
      if (i < 16) {
        F = (B & C) | (~B & D);
        g = i;
      } else if (i < 32) {
        F = (D & B) | (~D & C);
        g = (5 * i + 1) & 15;
      } else if (i < 48) {
        F = B ^ C ^ D;
        g = (3 * i + 5) & 15;
      } else {
        F = C ^ (B | ~D);
        g = (7 * i) & 15;
      }
      const s = MD5_S[(i >> 4) * 4 + (i & 3)];
      F = (F + A + MD5_K[i] + M[g]) | 0;
      A = D;
      D = C;
      C = B;
      B = (B + ((F << s) | (F >>> (32 - s)))) | 0;
    }
    a0 = (a0 + A) | 0;
    b0 = (b0 + B) | 0;
    c0 = (c0 + C) | 0;
    d0 = (d0 + D) | 0;
  }
  const out = new DataView(new ArrayBuffer(16));
  out.setInt32(0, a0, true);
  out.setInt32(4, b0, true);
  out.setInt32(8, c0, true);
  out.setInt32(12, d0, true);
  let hex = '';
  for (let i = 0; i < 16; i++) hex += out.getUint8(i).toString(16).padStart(2, '0');
  return hex;
}

/** Internal steps, exported for the tests only (not a stable API). */
export const _internals = Object.freeze({ reduceRGBA, resampleRGBA, coefficients });
