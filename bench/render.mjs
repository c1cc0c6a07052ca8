#!/usr/bin/env node
// Render benchmark in real Chromium: the panel's heatmap (ImageData at one pixel per cell, max-pool
// pyramid beyond the canvas) at n = 128, 512, 2048, 8192, against two per-cell baselines drawn in
// the same run (one canvas fillRect per cell; one SVG <rect> per cell, as DOM/SVG viewers draw),
// reported as ratios; the scale slider's frames per second at n = 1024; and the lines view at 512
// tokens × 12 heads against the heatmap of the same size.
// Run: npm run bench:render. Results: bench-results/render.json.
/* global window, document */
import * as esbuild from 'esbuild';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'bench-results');
const { chromium } = createRequire(import.meta.url)('playwright-core');
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

mkdirSync(OUT, { recursive: true });
// The page and its bundle live in a temporary folder (not linted, not committed).
const PAGE = mkdtempSync(join(tmpdir(), 'attention-render-'));
await esbuild.build({
  entryPoints: [join(ROOT, 'bench/render-page.ts')],
  outfile: join(PAGE, 'render-page.js'),
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'chrome120',
  logLevel: 'warning',
});
writeFileSync(
  join(PAGE, 'render-page.html'),
  '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body class="vscode-dark"><main id="app"></main><script src="render-page.js"></script></body></html>',
);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  headless: true,
  args: ARGS,
});
const page = await browser.newPage({ viewport: { width: 1200, height: 1000 }, deviceScaleFactor: 1 });
page.on('pageerror', (e) => console.error('page error:', e.message));
await page.goto('file://' + join(PAGE, 'render-page.html'));
await page.waitForFunction(() => document.body.dataset.ready === '1');

const rows = [];
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
console.log(
  'n      new matrix   redraw   zoomed (ms, median)   fillRect/cell   SVG rect/cell   speed-up vs fillRect   vs SVG',
);
for (const n of [128, 512, 2048, 8192]) {
  const repeats = n >= 8192 ? 3 : 7;
  const panel = await page.evaluate(([n, r]) => window.bench.panelFrames(n, r), [n, repeats]);
  const fill = n <= 2048 ? await page.evaluate((n) => window.bench.perCellCanvas(n), n) : null;
  const svg = n <= 512 ? await page.evaluate((n) => window.bench.perCellSvg(n), n) : null;
  rows.push({ n, ...panel, perCellCanvas: fill, perCellSvg: svg });
  console.log(
    `${String(n).padEnd(6)} ${fmt(panel.newMatrix).padStart(10)} ${fmt(panel.redraw).padStart(8)} ${fmt(panel.zoomed).padStart(8)} ${(fill === null ? '—' : fmt(fill)).padStart(25)} ${(svg === null ? '—' : fmt(svg)).padStart(15)} ${(fill === null ? '—' : `×${fmt(fill / panel.newMatrix)}`).padStart(22)} ${(svg === null ? '—' : `×${fmt(svg / panel.newMatrix)}`).padStart(8)}`,
  );
}
const slider = await page.evaluate(() => window.bench.sliderFrames(1024, 30));
console.log(
  `\nslider at n = 1024: ${fmt(slider.msPerFrame)} ms per frame = ${slider.fps.toFixed(1)} fps (re-softmax + sharpness ${fmt(slider.softmaxMs)} ms of it)`,
);
// The lines view (linesCanvas.ts) at 512 tokens × 12 heads against the heatmap's new matrix of the
// same size drawn in this run: hover must redraw within a 60 Hz frame (16 ms).
const heatmap512 = rows.find((r) => r.n === 512).newMatrix;
const lines = await page.evaluate(() => window.bench.linesFrames(512, 12, 7));
console.log(
  `\nlines view, 512 tokens × 12 heads (${lines.lines} lines): new weights ${fmt(lines.newData)} ms to the complete picture (×${fmt(lines.newData / heatmap512)} the heatmap's ${fmt(heatmap512)} ms; drawn in frames of at most ${fmt(lines.longestFrame)} ms), head toggled ${fmt(lines.toggle)} ms, hover a query ${fmt(lines.hoverQuery)} ms (×${fmt(lines.hoverQuery / heatmap512)}), a key ${fmt(lines.hoverKey)} ms, leave ${fmt(lines.leave)} ms; hover target < 16 ms`,
);
await browser.close();
writeFileSync(
  join(OUT, 'render.json'),
  JSON.stringify(
    {
      date: new Date().toISOString(),
      chromium: 'headless, --disable-gpu',
      rows,
      slider,
      lines: { ...lines, heatmap512 },
    },
    null,
    2,
  ),
);
console.log(`\nwrote ${join(OUT, 'render.json')}`);
