#!/usr/bin/env node
// Long fuzz runs: the structured reader fuzzer (test/unit/readers.fuzz.test.ts) with many more cases
// per property than CI's fixed-seed run, and a fresh seed each time (printed, so a failure can be
// replayed with --seed). Every case stays bounded by the per-case time limit.
//   npm run fuzz                         20 000 cases per property, random seed
//   npm run fuzz -- --runs 100000 --seed 42 [--case-ms 2000]
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(args[i + 1]);
  if (!Number.isSafeInteger(value) || value < 1) {
    console.error(`error: --${name} needs a positive integer`);
    process.exit(2);
  }
  return value;
};
const runs = option('runs', 20000);
const seed = option('seed', randomInt(1, 2 ** 31 - 1));
const caseMs = option('case-ms', 2000);

console.log(
  `fuzzing the readers: ${runs} cases per property, seed ${seed} (replay: npm run fuzz -- --runs ${runs} --seed ${seed})`,
);
const started = Date.now();
const result = spawnSync(
  process.execPath,
  [
    join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js'),
    '--no-config',
    '-r',
    'tsx/cjs',
    '--timeout',
    '0',
    'test/unit/readers.fuzz.test.ts',
  ],
  {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, FUZZ_RUNS: String(runs), FUZZ_SEED: String(seed), FUZZ_CASE_MS: String(caseMs) },
  },
);
console.log(`fuzz run took ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.exit(result.status ?? 1);
