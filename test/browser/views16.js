// Browser checks for issue 16's rendering work: scores with −∞ written by torch (hatched masked
// cells, a colour range from finite scores, the mask named from the file, step-by-step words for
// scores), exports without interaction overlays, and the lines view (opacity = weight, head
// toggles, hover isolation). Registered by run.js like hostile.js.
/* global document */
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** torch: causal masked_fill(-inf) scores, json.dump'ed as Python writes them (bare -Infinity). */
function torchMaskedScores(file) {
  const script = `
import json, sys, torch
torch.manual_seed(7)
n = 5
s = torch.randn(2, n, n, dtype=torch.float64) * 2
# The largest finite |score| is positive and in cell (n-1, 0), so its colour is the red end.
s[:, n - 1, 0] = s.abs().amax() + 1
s = s.masked_fill(torch.triu(torch.ones(n, n, dtype=torch.bool), 1), float('-inf'))
json.dump(dict(tokens=['The', 'cat', 'sat', 'on', 'it'], scores=s.tolist()), open(sys.argv[1], 'w'))
print(json.dumps(dict(top=float(s[0, n - 1, 0]))))
`;
  const r = spawnSync(PYTHON, ['-c', script, file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`torch failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Three tokens, two heads of known scores, and torch's float64 softmax of them. */
function linesInput(file) {
  const script = `
import json, sys, torch
s = torch.tensor([[[2.0, 0.5, -1.0], [0.0, 1.5, 0.3], [-0.5, 0.2, 1.0]],
                  [[0.1, 1.2, 0.4], [1.0, 0.2, 0.0], [0.3, -0.2, 0.9]]], dtype=torch.float64)
json.dump(dict(tokens=['I', 'go', 'home'], scores=s.tolist()), open(sys.argv[1], 'w'))
print(json.dumps(torch.softmax(s, dim=-1).tolist()))
`;
  const r = spawnSync(PYTHON, ['-c', script, file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`torch failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function register({ test, assert, OUT, sh, open, finish, cellPoint, pixel, near, tab }) {
  const masked = join(OUT, 'masked-scores.json');
  torchMaskedScores(masked);
  sh(['dist/cli.js', 'report', masked, '-o', join(OUT, 'masked-scores.html'), '--scale', '1']);
  const linesJson = join(OUT, 'lines.json');
  const weights = linesInput(linesJson);
  sh(['dist/cli.js', 'report', linesJson, '-o', join(OUT, 'lines.html'), '--scale', '1']);
  const home = join(OUT, 'i-go-home.html');

  /** Distinct colours inside cell (i, j), away from its edges. */
  const cellColours = (page, matrix, i, j) =>
    page.$eval(
      `[data-matrix=${matrix}] canvas`,
      (c, a) => {
        const [px, py, pw, ph] = c.dataset.plot.split(',').map(Number);
        const [r0, c0, rows, cols] = c.dataset.view.split(',').map(Number);
        const w = pw / cols,
          h = ph / rows;
        const d = c
          .getContext('2d')
          .getImageData(
            Math.round(px + (a.j - c0) * w + 4),
            Math.round(py + (a.i - r0) * h + 4),
            Math.round(w - 8),
            Math.round(h - 8),
          ).data;
        const seen = new Set();
        for (let k = 0; k < d.length; k += 4) seen.add(`${d[k]},${d[k + 1]},${d[k + 2]}`);
        return [...seen].map((s) => s.split(',').map(Number));
      },
      { i, j },
    );

  test('−∞ scores from torch: hatched, finite cells span the colour map, the mask named from the file', async (browser) => {
    const s = await open(browser, join(OUT, 'masked-scores.html'), 'vscode-light');
    for (const matrix of ['scores', 'weights']) {
      const stripes = await cellColours(s.page, matrix, 0, 4);
      assert(stripes.length >= 2, `${matrix}: the −∞ cell (0, 4) is hatched: ${stripes.join(' ')}`);
    }
    // blue-white-red: the masked hatch is none of the map's ends, and the largest finite score is
    // the darkest red: the range is the finite scores', not ±∞ (which fades every cell to white).
    const hatch = await cellColours(s.page, 'scores', 0, 4);
    assert(
      hatch.every((c) => !near(c, [103, 0, 31], 20) && !near(c, [5, 48, 97], 20)),
      `the hatch is not a score colour: ${hatch.join(' ')}`,
    );
    const top = await cellPoint(s.page, 'scores', 4, 0, 0.2, 0.2);
    const got = await pixel(s.page, 'scores', top.cx, top.cy);
    assert(near(got, [103, 0, 31], 3), `the largest finite score is the darkest red, got rgb(${got.slice(0, 3)})`);
    const mid = await cellColours(s.page, 'scores', 2, 1);
    assert(
      mid.some((c) => !near(c, [247, 247, 247], 12)),
      `finite cells are not faded to the neutral middle: ${mid.join(' ')}`,
    );
    const status = await s.page.$eval('.status', (e) => e.textContent);
    assert(status.includes('causal, from the file'), `status names the file's mask: ${status}`);
    assert(!status.includes('bidirectional'), `status does not say bidirectional: ${status}`);
    const noneLabel = await s.page.$eval('vscode-radio[value=none]', (e) => e.getAttribute('label'));
    assert(noneLabel === 'causal, from the file', `the mask control's first choice: ${noneLabel}`);
    const intro = await s.page.$eval('.step .caption', (e) => e.textContent);
    assert(!intro.includes('weights only'), `step-by-step for scores: ${intro}`);
    assert(intro.includes('scores q·k themselves'), intro);
    await s.page.screenshot({ path: join(OUT, 'masked-scores-vscode-light.png'), fullPage: true });
    await finish(s);
  });

  test('a PNG export has no row-lock outline or hover', async (browser) => {
    const s = await open(browser, home);
    const grab = async () => {
      // The exports are in the toolbar's ⋯ menu.
      if (!(await s.page.$eval('.toolbar details.more', (d) => d.open))) await s.page.click('.toolbar .more-button');
      const [download] = await Promise.all([
        s.page.waitForEvent('download'),
        s.page.click('vscode-button[data-export=png]'),
      ]);
      return readFileSync(await download.path());
    };
    const before = await grab();
    const plain = await s.page.$eval('[data-matrix=weights] canvas', (c) => c.toDataURL());
    const p = await cellPoint(s.page, 'weights', 1, 1);
    await s.page.mouse.click(p.x, p.y);
    await s.page.mouse.move(p.x, p.y);
    await s.page.waitForTimeout(150);
    const shown = await s.page.$eval('[data-matrix=weights] canvas', (c) => c.toDataURL());
    assert(shown !== plain, 'the panel shows the locked row (the check below means something)');
    const after = await grab();
    assert(
      before.equals(after),
      `the PNG with a row locked and hovered equals the one without (${before.length} vs ${after.length} bytes)`,
    );
    // The export leaves the panel as it was: the row stays locked (the button took the focus and the
    // pointer, so the keyboard cursor and the hover are gone, as after any click elsewhere).
    const intro = await s.page.$eval('.step .caption', (e) => e.textContent);
    assert(intro.includes('(row 1)'), `row 1 still locked after the export: ${intro}`);
    await finish(s);
  });

  /** The lines canvas: geometry, head colours and background as RGB, and a pixel reader. */
  async function linesPage(browser) {
    const s = await open(browser, join(OUT, 'lines.html'));
    await tab(s.page, 'lines');
    await s.page.waitForFunction(() => document.querySelector('canvas.lines-canvas')?.dataset.complete === '1');
    const info = await s.page.$eval('canvas.lines-canvas', (c) => {
      const probe = document.createElement('canvas').getContext('2d');
      const rgb = (css) => {
        probe.clearRect(0, 0, 1, 1);
        probe.fillStyle = css;
        probe.fillRect(0, 0, 1, 1);
        return Array.from(probe.getImageData(0, 0, 1, 1).data.slice(0, 3));
      };
      return {
        g: JSON.parse(c.dataset.geometry),
        colors: JSON.parse(c.dataset.colors).map(rgb),
        bg: Array.from(c.getContext('2d').getImageData(1, 1, 1, 1).data.slice(0, 3)),
      };
    });
    /** The pixel row just above line (i, i)'s centre, three quarters of the way to the keys. */
    const onDiagonal = (i) =>
      s.page.$eval(
        'canvas.lines-canvas',
        (c, a) => {
          const x = Math.round((a.g.xLeft + 0.75 * (a.g.xRight - a.g.xLeft)) * a.g.dpr);
          const y = Math.round((a.g.top + (a.i + 0.5) * a.g.rowHeight) * a.g.dpr) - 1;
          return Array.from(c.getContext('2d').getImageData(x, y, 1, 1).data.slice(0, 3));
        },
        { g: info.g, i },
      );
    /** Every distinct colour between the token columns. */
    const region = () =>
      s.page.$eval(
        'canvas.lines-canvas',
        (c, g) => {
          const x0 = Math.ceil(g.xLeft * g.dpr) + 2,
            x1 = Math.floor(g.xRight * g.dpr) - 2;
          const d = c.getContext('2d').getImageData(x0, 0, x1 - x0, c.height).data;
          const seen = new Set();
          for (let k = 0; k < d.length; k += 4) seen.add(`${d[k]},${d[k + 1]},${d[k + 2]}`);
          return [...seen].map((s) => s.split(',').map(Number));
        },
        info.g,
      );
    const toggle = async (head) => {
      await s.page.click(`input[data-head="${head}"]`);
      await s.page.waitForFunction(() => document.querySelector('canvas.lines-canvas').dataset.complete === '1');
    };
    return { s, info, onDiagonal, region, toggle };
  }

  const blend = (bg, c, a) => bg.map((b, k) => Math.round(b * (1 - a) + c[k] * a));
  const alphaOf = (w) => (w >= 0.02 ? Math.min(32, Math.round(w * 32)) / 32 : 0);
  /** Is every colour bg + a·(c − bg) for one a per colour (only head c's lines drawn)? */
  const onlyHead = (colours, bg, c) =>
    colours.every((px) => {
      const k = [0, 1, 2].reduce(
        (best, ch) => (Math.abs(c[ch] - bg[ch]) > Math.abs(c[best] - bg[best]) ? ch : best),
        0,
      );
      const a = (px[k] - bg[k]) / (c[k] - bg[k]);
      return near(px, blend(bg, c, a), 4);
    });

  test('lines view: each line’s opacity is its weight (torch softmax), one colour per head', async (browser) => {
    const { s, info, onDiagonal, region, toggle } = await linesPage(browser);
    await toggle(1);
    for (let i = 0; i < 3; i++) {
      const want = blend(info.bg, info.colors[0], alphaOf(weights[0][i][i]));
      const got = await onDiagonal(i);
      assert(
        near(got, want, 3),
        `head 0, line ${i}→${i} (weight ${weights[0][i][i].toFixed(3)}): rgb(${got}) vs rgb(${want})`,
      );
    }
    assert(onlyHead(await region(), info.bg, info.colors[0]), 'only head 0’s colour is drawn');
    await s.page.screenshot({ path: join(OUT, 'lines-vscode-dark.png'), fullPage: true });
    await finish(s);
  });

  test('lines view: unticking a head removes its colour; ticking it brings it back', async (browser) => {
    const { s, info, onDiagonal, region, toggle } = await linesPage(browser);
    const both = await region();
    assert(!onlyHead(both, info.bg, info.colors[0]) && !onlyHead(both, info.bg, info.colors[1]), 'both heads drawn');
    await toggle(0);
    assert(onlyHead(await region(), info.bg, info.colors[1]), 'head 0’s colour is gone');
    const want = blend(info.bg, info.colors[1], alphaOf(weights[1][2][2]));
    assert(near(await onDiagonal(2), want, 3), 'head 1’s line 2→2 at its weight');
    await toggle(1);
    const none = await region();
    assert(none.length === 1 && near(none[0], info.bg, 0), `no head: background only (${none.length} colours)`);
    await toggle(0);
    assert(onlyHead(await region(), info.bg, info.colors[0]), 'head 0 back alone');
    await finish(s);
  });

  test('lines view: hovering a token isolates its lines', async (browser) => {
    const { s, info, onDiagonal, toggle } = await linesPage(browser);
    await toggle(1);
    const box = await s.page.$eval('canvas.lines-canvas', (c) => {
      const b = c.getBoundingClientRect();
      return { x: b.left, y: b.top };
    });
    // Hover query 0 ("I") on the left.
    await s.page.mouse.move(box.x + info.g.xLeft - 10, box.y + info.g.top + 0.5 * info.g.rowHeight);
    await s.page.waitForTimeout(100);
    assert(near(await onDiagonal(0), blend(info.bg, info.colors[0], alphaOf(weights[0][0][0])), 3), 'I→I stays');
    assert(near(await onDiagonal(1), info.bg, 0), 'go→go is hidden while “I” is hovered');
    assert(near(await onDiagonal(2), info.bg, 0), 'home→home is hidden while “I” is hovered');
    // Hover key 2 ("home") on the right: only lines into it.
    await s.page.mouse.move(box.x + info.g.xRight + 10, box.y + info.g.top + 2.5 * info.g.rowHeight);
    await s.page.waitForTimeout(100);
    assert(near(await onDiagonal(2), blend(info.bg, info.colors[0], alphaOf(weights[0][2][2])), 3), 'home→home stays');
    assert(near(await onDiagonal(0), info.bg, 0), 'I→I is hidden while key “home” is hovered');
    await s.page.mouse.move(1, 1);
    await s.page.waitForTimeout(100);
    assert(
      near(await onDiagonal(1), blend(info.bg, info.colors[0], alphaOf(weights[0][1][1])), 3),
      'every line back on leaving',
    );
    await finish(s);
  });
}

module.exports = { register };
