// Test runner for src/jikimi/portal/static/pdq.js: reads a JSON list of jobs (file named on
// the command line), runs each one and prints a JSON list of results. Pixels travel as raw
// RGBA files written by the Python tests. Errors are reported per job, never thrown.
import { readFileSync, writeFileSync } from 'node:fs';
import * as pdq from '../../src/jikimi/portal/static/pdq.js';

const jobs = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const load = (job) => (job.file ? new Uint8Array(readFileSync(job.file)) : new Uint8Array(job.bytes ?? []));

function run(job) {
  switch (job.op) {
    case 'pdq':
      return pdq.pdqFromRGBA(load(job), job.width, job.height);
    case 'downscale': {
      const t = pdq.downscaleRGBA(load(job), job.width, job.height, job.max ?? 512, job.options ?? {});
      if (job.out) writeFileSync(job.out, t.data);
      return { width: t.width, height: t.height };
    }
    case 'image':
      return pdq.pdqFromImageData({ data: load(job), width: job.width, height: job.height }, job.options ?? {});
    case 'thumbnailSize':
      return pdq.thumbnailSize(job.width, job.height, job.max ?? 512);
    case 'variants':
      return pdq.registrationVariants(load(job), job.width, job.height, job.options ?? {});
    case 'regions':
      return pdq.registrationRegions(load(job), job.width, job.height, job.options ?? {});
    case 'frameBox':
      return pdq.frameBox(load(job), job.width, job.height);
    case 'frameBoxes':
      return pdq.frameBoxes(load(job), job.width, job.height);
    case 'queryVariants':
      return pdq.queryVariants(load(job), job.width, job.height, job.options ?? {});
    case 'dihedral': {
      const t = pdq.dihedral(load(job), job.width, job.height, job.name);
      if (job.out) writeFileSync(job.out, t.data);
      return { width: t.width, height: t.height };
    }
    case 'md5':
      return pdq.md5(load(job));
    case 'dct':
      return Array.from(pdq._dctMatrix());
    case 'call': {
      // Bad-input checks: call an export with raw (possibly nonsensical) arguments.
      const args = job.args.map((a) => (a && typeof a === 'object' && 'zeros' in a ? new Uint8Array(a.zeros) : a));
      return pdq[job.fn](...args);
    }
    default:
      throw new Error(`unknown op ${job.op}`);
  }
}

const results = jobs.map((job) => {
  const t0 = performance.now();
  try {
    return { ok: true, value: run(job), ms: performance.now() - t0 };
  } catch (e) {
    return { ok: false, error: `${e.name}: ${e.message}`, ms: performance.now() - t0 };
  }
});
process.stdout.write(JSON.stringify(results));
