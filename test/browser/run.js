#!/usr/bin/env node
// The panel in real Chromium: standalone reports written by the CLI (the same bundle VS Code loads)
// are opened from file:// and checked the way a person would use them: pixels, hover text, the
// slider, masks, keyboard, exports, theme switching, and that hostile tokens stay text.
// Run: npm run test:browser (builds first). Screenshots go to test-results/browser/.
/* global window, document, Event */
'use strict';
const { spawnSync } = require('node:child_process');
const { mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const { join, resolve } = require('node:path');
const { chromium } = require('playwright-core');

const ROOT = resolve(__dirname, '..', '..');
const OUT = join(ROOT, 'test-results', 'browser');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
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

// matplotlib's viridis at entries 0, 16, …, 240, 255: the reference the pixels are compared with.
const VIRIDIS = [
  [0.267004, 0.004874, 0.329415],
  [0.282327, 0.094955, 0.417331],
  [0.278826, 0.17549, 0.483397],
  [0.258965, 0.251537, 0.524736],
  [0.229739, 0.322361, 0.545706],
  [0.19943, 0.387607, 0.554642],
  [0.172719, 0.448791, 0.557885],
  [0.149039, 0.508051, 0.55725],
  [0.127568, 0.566949, 0.550556],
  [0.120638, 0.625828, 0.533488],
  [0.157851, 0.683765, 0.501686],
  [0.24607, 0.73891, 0.452024],
  [0.369214, 0.788888, 0.382914],
  [0.515992, 0.831158, 0.294279],
  [0.678489, 0.863742, 0.189503],
  [0.845561, 0.887322, 0.099702],
  [0.993248, 0.906157, 0.143936],
];
function viridis(t) {
  const x = Math.min(1, Math.max(0, t)) * 255;
  let k = Math.min(15, Math.floor(x / 16));
  const a = k * 16,
    b = k === 15 ? 255 : (k + 1) * 16;
  const f = (x - a) / (b - a);
  return VIRIDIS[k].map((c, i) => Math.round((c + (VIRIDIS[k + 1][i] - c) * f) * 255));
}

function sh(args) {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

const tests = [];
const test = (name, fn) => tests.push({ name, fn });
const assert = (cond, message) => {
  if (!cond) throw new Error(message);
};

/** A page on a report, collecting everything that should never happen. */
async function open(browser, file, theme = 'vscode-dark', viewport = { width: 1300, height: 950 }) {
  const page = await browser.newPage({
    viewport,
    deviceScaleFactor: 1,
    acceptDownloads: true,
  });
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('dialog', (d) => {
    problems.push(`a dialog opened: ${d.message()}`);
    void d.dismiss();
  });
  await page.addInitScript((cls) => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
    document.addEventListener('DOMContentLoaded', () => {
      document.body.className = cls;
    });
  }, theme);
  await page.goto('file://' + file);
  await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 20000 });
  await page.waitForTimeout(150);
  return { page, problems };
}

async function finish({ page, problems }) {
  const violations = await page.evaluate(() => window.__violations);
  await page.close();
  assert(violations.length === 0, `CSP violations: ${violations.join('; ')}`);
  assert(problems.length === 0, problems.join('; '));
}

/** Centre (or a fraction into) cell (i, j) of a heatmap, in page coordinates. */
async function cellPoint(page, matrix, i, j, fx = 0.5, fy = 0.5) {
  return page.$eval(
    `[data-matrix=${matrix}] canvas`,
    (c, a) => {
      const [px, py, pw, ph] = c.dataset.plot.split(',').map(Number);
      const [r0, c0, rows, cols] = c.dataset.view.split(',').map(Number);
      const box = c.getBoundingClientRect();
      return {
        x: box.left + px + ((a.j - c0 + a.fx) / cols) * pw,
        y: box.top + py + ((a.i - r0 + a.fy) / rows) * ph,
        cx: px + ((a.j - c0 + a.fx) / cols) * pw,
        cy: py + ((a.i - r0 + a.fy) / rows) * ph,
      };
    },
    { i, j, fx, fy },
  );
}

async function pixel(page, matrix, x, y) {
  return page.$eval(
    `[data-matrix=${matrix}] canvas`,
    (c, p) => Array.from(c.getContext('2d').getImageData(Math.round(p.x), Math.round(p.y), 1, 1).data),
    { x, y },
  );
}

const near = (a, b, tol) => b.every((v, k) => Math.abs(a[k] - v) <= tol);

/** Opens the toolbar's ⋯ menu (colours, exports and what did not fit the row), if it is closed. */
async function openMenu(page) {
  if (!(await page.$eval('.toolbar details.more', (d) => d.open))) await page.click('.toolbar .more-button');
}

async function tab(page, id) {
  await page.click(`vscode-tab-header[data-tab=${id}]`);
  await page.waitForTimeout(250);
}

let mainFiles = null;

function main() {
  mkdirSync(OUT, { recursive: true });
  sh(['scripts/build.mjs']);
  const files = {
    home: join(OUT, 'i-go-home.html'),
    text: join(OUT, 'text.html'),
    xss: join(OUT, 'xss.html'),
    text20: join(OUT, 'text20.html'),
    text44: join(OUT, 'text44.html'),
    weights: join(OUT, 'weights.html'),
  };
  // The layout tests' inputs (test/browser/layout.js): the e2e sample's three lines, 44 tokens, and
  // exported weights (a tensor file with no scores).
  const sample =
    'the cat sat on the mat attention lets every token look at every other token softmax turns scores into weights';
  const words44 = Array.from({ length: 44 }, (_, i) => sample.split(' ')[i % 20] + (i >= 20 ? String(i) : ''));
  sh(['dist/cli.js', 'report', '--text', sample, '-o', files.text20]);
  sh(['dist/cli.js', 'report', '--text', words44.join(' '), '-o', files.text44]);
  // The report takes JSON: the example's exported weights as the JSON weights form ("attentions").
  const gpt = JSON.parse(sh(['dist/cli.js', 'compute', 'examples/gpt-style-attention.safetensors']));
  const layers = [];
  for (const h of gpt.heads) (layers[h.layer] ??= [])[h.head] = h.weights;
  writeFileSync(join(OUT, 'weights.json'), JSON.stringify({ tokens: gpt.tokens, attentions: layers }));
  sh(['dist/cli.js', 'report', join(OUT, 'weights.json'), '-o', files.weights]);
  sh(['dist/cli.js', 'report', 'examples/i-go-home.json', '-o', files.home]);
  sh([
    'dist/cli.js',
    'report',
    '--text',
    "The animal didn't cross the street because it was too tired",
    '-o',
    files.text,
  ]);
  const hostile = {
    tokens: ['<img src=x onerror=alert(1)>', '"><script>alert(2)</script>', '&amp;'],
    Q: [
      [1, 0],
      [0, 1],
      [1, 1],
    ],
    K: [
      [1, 0],
      [0, 1],
      [1, 1],
    ],
    V: [
      [1, 0],
      [0, 1],
      [1, 1],
    ],
  };
  writeFileSync(join(OUT, 'xss.json'), JSON.stringify(hostile));
  sh(['dist/cli.js', 'report', join(OUT, 'xss.json'), '-o', files.xss, '--title', '<b onmouseover=alert(3)>title</b>']);
  mainFiles = files;
  const home = JSON.parse(sh(['dist/cli.js', 'compute', 'examples/i-go-home.json'])).heads[0];
  const text = JSON.parse(
    sh([
      'dist/cli.js',
      'compute',
      '--text',
      "The animal didn't cross the street because it was too tired",
      '--summary',
    ]),
  ).heads[0];

  test('the page has a strict CSP with a nonce and no unsafe-eval', async (browser) => {
    const s = await open(browser, files.home);
    const { csp, nonces, inline } = await s.page.evaluate(() => ({
      csp: document.querySelector('meta[http-equiv="Content-Security-Policy"]').content,
      nonces: Array.from(document.querySelectorAll('script')).map((x) => x.nonce),
      inline: Array.from(document.querySelectorAll('*')).filter((e) =>
        Array.from(e.attributes).some((a) => /^on/i.test(a.name)),
      ).length,
    }));
    assert(/default-src 'none'/.test(csp), csp);
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    assert(nonce && nonce.length >= 16, `nonce in ${csp}`);
    assert(!/unsafe-eval|unsafe-inline/.test(csp), `no unsafe sources: ${csp}`);
    assert(nonces.length === 2 && nonces.every((n) => n === nonce), 'both scripts carry the nonce');
    assert(inline === 0, 'no inline event handlers');
    await finish(s);
  });

  test('weights heatmap pixels have viridis colours of the weights', async (browser) => {
    const s = await open(browser, files.home);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        const p = await cellPoint(s.page, 'weights', i, j, 0.2, 0.2);
        const got = await pixel(s.page, 'weights', p.cx, p.cy);
        const want = viridis(home.weights[i][j]);
        assert(
          near(got, want, 4),
          `cell ${i},${j}: weight ${home.weights[i][j]} should be rgb(${want}), canvas has rgb(${got.slice(0, 3)})`,
        );
      }
    await finish(s);
  });

  test('scores heatmap is diverging and centred on 0 (light theme)', async (browser) => {
    const s = await open(browser, files.home, 'vscode-light');
    // Scores (scaled) are 0…3.5: 3.5 is the darkest red end, 0 the white middle.
    const top = await cellPoint(s.page, 'scores', 2, 2, 0.2, 0.2);
    assert(near(await pixel(s.page, 'scores', top.cx, top.cy), [103, 0, 31], 3), 'largest score in the darkest red');
    const zero = await cellPoint(s.page, 'scores', 0, 1, 0.2, 0.2);
    assert(
      near(await pixel(s.page, 'scores', zero.cx, zero.cy), [247, 247, 247], 3),
      'zero score in the neutral middle',
    );
    await finish(s);
  });

  test('hover shows query, key, raw and scaled score, weight and the row entropy', async (browser) => {
    const s = await open(browser, files.home);
    const p = await cellPoint(s.page, 'weights', 0, 2);
    await s.page.mouse.move(p.x, p.y);
    await s.page.waitForTimeout(100);
    const tip = await s.page.$eval('[data-matrix=weights] .tooltip', (t) => (t.hidden ? '' : t.textContent));
    for (const want of [
      'I → home',
      '“I” (row 0)',
      '“home” (column 2)',
      'raw score q·k1',
      'scaled × 0.50.5',
      `weight${home.weights[0][2].toPrecision(3)}`,
      `row entropy${home.entropy[0].toPrecision(3)} nats`,
    ]) {
      assert(tip.includes(want), `tooltip "${tip}" lacks "${want}"`);
    }
    await finish(s);
  });

  test('click and keyboard lock a query row for the step-by-step view', async (browser) => {
    const s = await open(browser, files.home);
    const p = await cellPoint(s.page, 'weights', 2, 0);
    await s.page.mouse.click(p.x, p.y);
    await s.page.waitForTimeout(100);
    let intro = await s.page.$eval('.step .caption', (e) => e.textContent);
    assert(intro.includes('Query “home” (row 2)'), intro);
    await s.page.focus('[data-matrix=weights] canvas');
    await s.page.keyboard.press('ArrowUp');
    await s.page.keyboard.press('Enter');
    await s.page.waitForTimeout(100);
    intro = await s.page.$eval('.step .caption', (e) => e.textContent);
    assert(intro.includes('Query “go” (row 1)'), `after ArrowUp + Enter: ${intro}`);
    const output = await s.page.$$eval('.step-table.values tr.sum td', (tds) => tds.map((t) => t.textContent));
    const want = home.output[1].map((v) => Number(v.toPrecision(3)));
    assert(
      output
        .slice(1)
        .map((x) => Number(x.replace('−', '-')))
        .every((v, k) => Math.abs(v - want[k]) < 1e-3),
      `output row ${output} vs ${want}`,
    );
    const live = await s.page.$eval('[data-matrix=weights] [aria-live]', (e) => e.textContent);
    assert(live.includes('go →'), `cursor announced: ${live}`);
    await finish(s);
  });

  test('the scale slider changes the weights and the entropy figures', async (browser) => {
    const s = await open(browser, files.text);
    await tab(s.page, 'scaling');
    const read = () => s.page.$eval('.figures', (e) => e.textContent);
    const before = await read();
    const sqrt = text.sharpness.find((p) => p.label === 'sqrt');
    assert(
      before.includes(`mean entropy${sqrt.meanEntropy.toPrecision(3)} nats`),
      `figures at 1/√d_k "${before}" vs CLI ${sqrt.meanEntropy}`,
    );
    const p = await cellPoint(s.page, 'live', 0, 0, 0.3, 0.3);
    const pxBefore = await pixel(s.page, 'live', p.cx, p.cy);
    await s.page.$eval('input.slider', (el) => {
      el.value = '0.5';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await s.page.waitForTimeout(150);
    const after = await read();
    assert(after !== before, 'figures changed');
    const entropy = (t) => Number(/mean entropy([\d.]+) nats/.exec(t)[1]);
    assert(entropy(after) < entropy(before), `a larger factor sharpens: ${entropy(before)} → ${entropy(after)}`);
    const pxAfter = await pixel(s.page, 'live', p.cx, p.cy);
    assert(!near(pxBefore, pxAfter, 0), 'the heatmap re-rendered');
    // In a narrow panel the scale control sits in the toolbar's ⋯ menu.
    if (!(await s.page.isVisible('[data-factor="1/d_k"]'))) await openMenu(s.page);
    await s.page.click('[data-factor="1/d_k"]');
    await s.page.waitForTimeout(150);
    const linear = text.sharpness.find((q) => q.label === 'linear');
    const flat = await read();
    assert(
      flat.includes(`mean entropy${linear.meanEntropy.toPrecision(3)} nats`),
      `figures at 1/d_k "${flat}" vs CLI ${linear.meanEntropy}`,
    );
    await finish(s);
  });

  test('masks switch and masked cells are hatched, not just dark', async (browser) => {
    const s = await open(browser, files.home);
    await s.page.click('vscode-radio[value=causal]');
    await s.page.waitForFunction(() => document.querySelector('.status').textContent.includes('forward only'));
    await s.page.waitForTimeout(150);
    const colours = await s.page.$eval('[data-matrix=weights] canvas', (c) => {
      const [px, py, pw, ph] = c.dataset.plot.split(',').map(Number);
      const d = c
        .getContext('2d')
        .getImageData(
          Math.round(px + (2 / 3) * pw + 6),
          Math.round(py + 6),
          Math.round(pw / 3 - 12),
          Math.round(ph / 3 - 12),
        ).data;
      const seen = new Set();
      for (let k = 0; k < d.length; k += 4) seen.add(`${d[k]},${d[k + 1]},${d[k + 2]}`);
      return [...seen];
    });
    assert(colours.length >= 2, `the masked cell (0, 2) shows stripes: ${colours.join(' ')}`);
    const dark = viridis(0);
    assert(
      colours.every((c) => !near(c.split(',').map(Number), dark, 12)),
      'masked is not drawn as a weight of 0',
    );
    const legend = await s.page.$eval('.step .step-table tbody', (e) => e.textContent);
    assert(legend.includes('0 (masked)'), 'the step table names masked keys');
    await finish(s);
  });

  test('hostile tokens are shown as text and create no elements', async (browser) => {
    const s = await open(browser, files.xss);
    const p = await cellPoint(s.page, 'weights', 0, 1);
    await s.page.mouse.move(p.x, p.y);
    await s.page.waitForTimeout(100);
    const { imgs, scripts, bold, tip, step, title } = await s.page.evaluate(() => ({
      imgs: document.querySelectorAll('img').length,
      scripts: document.querySelectorAll('script').length,
      bold: document.querySelectorAll('b').length,
      tip: document.querySelector('[data-matrix=weights] .tooltip').textContent,
      step: document.querySelector('.step').textContent,
      title: document.querySelector('.source-title').textContent,
    }));
    assert(imgs === 0 && scripts === 2 && bold === 0, `elements created: img ${imgs}, script ${scripts}, b ${bold}`);
    assert(
      tip.includes('<img src=x onerror=alert(1)>') && tip.includes('"><script>alert(2)</script>'),
      `tooltip text: ${tip}`,
    );
    assert(step.includes('<img src=x onerror=alert(1)>'), 'the step view shows the token as text');
    assert(title === '<b onmouseover=alert(3)>title</b>', `title: ${title}`);
    await tab(s.page, 'heads');
    await tab(s.page, 'scaling');
    await finish(s);
  });

  test('every tab renders without errors; the theme switch repaints the canvas', async (browser) => {
    const s = await open(browser, files.text);
    for (const id of ['scaling', 'variance', 'projections', 'heads', 'attention']) await tab(s.page, id);
    const bg = () =>
      s.page.$eval('[data-matrix=weights] canvas', (c) => Array.from(c.getContext('2d').getImageData(2, 2, 1, 1).data));
    const dark = await bg();
    await s.page.evaluate(() => {
      document.body.className = 'vscode-light';
    });
    await s.page.waitForTimeout(200);
    const light = await bg();
    assert(dark[0] < 60 && light[0] > 200, `background followed the theme: ${dark} → ${light}`);
    await s.page.click('vscode-tab-header[data-tab=heads]');
    await s.page.waitForSelector('.head-tile');
    const tiles = await s.page.$$eval('.head-tile', (t) => t.length);
    assert(tiles === 5, `4 heads and their mean: ${tiles}`);
    // Hovering a cell of a tile names its token pair in the tile's detail line; leaving restores it.
    const detail = () => s.page.$eval('.head-tile >> nth=0', (b) => b.querySelector('.tile-detail').textContent);
    const before = await detail();
    const thumb = await s.page.$('.head-tile canvas');
    const box = await thumb.boundingBox();
    await s.page.mouse.move(box.x + 1, box.y + 1);
    const hovered = await detail();
    assert(/^“.+” → “.+”: (\d|masked)/.test(hovered), `the top-left cell names its tokens: ${hovered}`);
    await s.page.mouse.move(box.x + box.width + 40, box.y - 40);
    const after = await detail();
    assert(after === before, `the detail line comes back: ${after}`);
    await s.page.click('.head-tile >> nth=2');
    await s.page.waitForFunction(() => document.querySelector('.status').textContent.startsWith('head 2'));
    await finish(s);
  });

  test('exports download PNG, SVG, CSV and JSON from the report', async (browser) => {
    const s = await open(browser, files.home);
    const grab = async (label) => {
      await openMenu(s.page);
      const [download] = await Promise.all([
        s.page.waitForEvent('download'),
        s.page.click(`vscode-button[data-export=${label}]`),
      ]);
      return { name: download.suggestedFilename(), data: readFileSync(await download.path()) };
    };
    const csv = await grab('csv');
    assert(csv.name === 'attention-H0-weights.csv', csv.name);
    const lines = csv.data.toString('utf8').trim().split('\r\n');
    assert(lines[0] === 'query \\ key,I,go,home', lines[0]);
    assert(
      lines[1]
        .split(',')
        .slice(1)
        .map(Number)
        .every((v, j) => Math.abs(v - home.weights[0][j]) < 1e-6),
      lines[1],
    );
    const json = JSON.parse((await grab('json')).data.toString('utf8'));
    assert(json.tokens.join(' ') === 'I go home' && json.scores[2][2] === 3.5, 'JSON holds tokens and scaled scores');
    const png = await grab('png');
    assert(png.data.subarray(1, 4).toString() === 'PNG' && png.data.length > 5000, `PNG of ${png.data.length} bytes`);
    const svg = (await grab('svg')).data.toString('utf8');
    assert(
      svg.startsWith('<?xml') && svg.includes('<svg') && (svg.match(/<rect /g) || []).length >= 18,
      'SVG with vector cells',
    );
    await finish(s);
  });

  test('screenshots: dark and light themes', async (browser) => {
    for (const theme of ['vscode-dark', 'vscode-light']) {
      const s = await open(browser, files.text, theme);
      const p = await cellPoint(s.page, 'weights', 1, 3);
      await s.page.mouse.click(p.x, p.y);
      await s.page.mouse.move(p.x, p.y);
      await s.page.waitForTimeout(150);
      await s.page.screenshot({ path: join(OUT, `attention-${theme}.png`), fullPage: true });
      for (const id of ['scaling', 'variance', 'projections', 'heads']) {
        await tab(s.page, id);
        await s.page.waitForTimeout(150);
        await s.page.screenshot({ path: join(OUT, `${id}-${theme}.png`), fullPage: true });
      }
      await finish(s);
    }
  });
}

async function run() {
  main();
  // Injection payloads through every view, and the CSP (test/browser/hostile.js).
  require('./hostile').register({ test, assert, ROOT, OUT });
  // The panel's layout at the sizes people use it (test/browser/layout.js).
  require('./layout').register({ test, assert, open, finish, files: mainFiles, OUT, cellPoint, tab });
  // Issue 16: −∞ scores, exports without overlays, the lines view (test/browser/views16.js).
  require('./views16').register({ test, assert, OUT, sh, open, finish, cellPoint, pixel, near, tab });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  let passed = 0,
    failed = 0;
  const started = Date.now();
  try {
    // BROWSER_GREP=text runs only the tests whose name contains it.
    const only = process.env.BROWSER_GREP;
    for (const t of only ? tests.filter((x) => x.name.includes(only)) : tests) {
      const t0 = Date.now();
      try {
        await t.fn(browser);
        passed++;
        console.log(`  ✔ ${t.name} (${Date.now() - t0} ms)`);
      } catch (e) {
        failed++;
        console.log(
          `  ✘ ${t.name}\n      ${String(e && e.message ? e.message : e)
            .split('\n')
            .join('\n      ')}`,
        );
      }
    }
  } finally {
    await browser.close();
  }
  console.log(`\nbrowser tests in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${OUT}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

run().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
