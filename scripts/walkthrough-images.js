#!/usr/bin/env node
// Screenshots for the getting-started walkthrough (media/walkthrough/*.png), taken from the real
// panel: the CLI writes standalone reports (the same webview bundle VS Code loads) and headless
// Chromium opens each on the tab a step talks about.
//
//   npm run build && node scripts/walkthrough-images.js
//
// Needs /usr/bin/chromium (or CHROMIUM_PATH). Deterministic inputs; pixels may differ slightly
// between Chromium versions, so the images are committed rather than rebuilt in CI.
/* global document */
'use strict';
const { spawnSync } = require('node:child_process');
const { mkdirSync, mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');
const { chromium } = require('playwright-core');

const ROOT = resolve(__dirname, '..');
const OUT = join(ROOT, 'media', 'walkthrough');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const VIEWPORT = { width: 1100, height: 720 };
// VS Code's default theme is dark; the reports follow the page's colour scheme.
const COLOR_SCHEME = 'dark';

function cli(args) {
  const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), ...args], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cli ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** The .npy example as a JSON `attentions` document (layers × heads × q × k), for `report`. */
function modelAttentionJson(dir) {
  const computed = JSON.parse(cli(['compute', join('examples', 'gpt-style-attention.npy')]));
  const layers = [];
  for (const h of computed.heads) (layers[h.layer] ??= [])[h.head] = h.weights.map((row) => row.map((x) => x ?? 0));
  const file = join(dir, 'gpt-style-attention.json');
  writeFileSync(file, JSON.stringify({ tokens: computed.tokens, attentions: layers }));
  return file;
}

const SHOTS = [
  {
    name: 'inspect-selection.png',
    tab: 'attention',
    report: ['--text', 'The animal did not cross the street because it was tired', '--title', 'Selection'],
  },
  { name: 'scaling-view.png', tab: 'scaling', report: ['examples/causal-mask.json'], height: 1000 },
  {
    name: 'tensor-file.png',
    tab: 'heads',
    report: (dir) => [modelAttentionJson(dir), '--title', 'gpt-style-attention.npy'],
  },
];

async function main() {
  mkdirSync(OUT, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'walkthrough-'));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
  });
  try {
    for (const shot of SHOTS) {
      const html = join(dir, shot.name.replace(/\.png$/, '.html'));
      const inputs = typeof shot.report === 'function' ? shot.report(dir) : shot.report;
      cli(['report', ...inputs, '-o', html]);
      const page = await browser.newPage({
        viewport: { ...VIEWPORT, height: shot.height ?? VIEWPORT.height },
        deviceScaleFactor: 1,
        colorScheme: COLOR_SCHEME,
      });
      await page.goto('file://' + html);
      await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 20000 });
      await page.click(`vscode-tab-header[data-tab=${shot.tab}]`);
      await page.waitForTimeout(400);
      await page.screenshot({ path: join(OUT, shot.name) });
      await page.close();
      console.log(`wrote media/walkthrough/${shot.name}`);
    }
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
