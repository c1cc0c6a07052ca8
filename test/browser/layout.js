// The panel's layout in Chromium (issue 16, problem 1 and items 3–4), on standalone reports written
// by the CLI: at a panel beside an editor (420×600), 900×700 and 1400×900 no horizontal scrollbar,
// the weights map's top inside the viewport, tabs not clipped, weights at least as large as scores;
// a weights-only file has no scores box, a one-sentence Scaling tab and its detection as one neutral
// line; explanations fold and the choice is remembered; a click on a row brings the step-by-step up.
// Registered by run.js (npm run test:browser).
/* global document */
'use strict';
const { join } = require('node:path');
const { measurePanel, layoutProblems, describeLayout } = require('../vscode/lib/layoutChecks');

const SIZES = [
  { width: 420, height: 600 },
  { width: 900, height: 700 },
  { width: 1400, height: 900 },
];

function register({ test, assert, open, finish, files, OUT, cellPoint, tab }) {
  for (const [name, file] of [
    ['a 20-token text', files.text20],
    ['a 44-token text', files.text44],
  ])
    test(`layout of ${name} at ${SIZES.map((s) => `${s.width}×${s.height}`).join(', ')}: no horizontal scrollbar, weights in view and not smaller than scores, tabs whole`, async (browser) => {
      const seen = [];
      for (const size of SIZES) {
        const s = await open(browser, file, 'vscode-dark', size);
        const m = await s.page.evaluate(measurePanel);
        const problems = layoutProblems(m);
        await s.page.screenshot({ path: join(OUT, `layout-${name.split(' ')[1]}-${size.width}x${size.height}.png`) });
        assert(problems.length === 0, `${size.width}×${size.height}: ${problems.join('; ')} (${describeLayout(m)})`);
        seen.push(describeLayout(m));
        await finish(s);
      }
      return seen.join('\n');
    });

  test('44 tokens beside an editor (420 px): the axes name every k-th token, not positions', async (browser) => {
    const s = await open(browser, files.text44, 'vscode-dark', SIZES[0]);
    const labels = await s.page.$eval('[data-matrix=weights] canvas', (c) => c.dataset.rowLabels);
    const [what, stride] = labels.split('/');
    assert(what === 'tokens' && Number(stride) > 1, `thinned token labels at 420 px: ${labels}`);
    await finish(s);
    const wide = await open(browser, files.text44, 'vscode-dark', SIZES[2]);
    const all = await wide.page.$eval('[data-matrix=weights] canvas', (c) => c.dataset.rowLabels);
    assert(all.startsWith('tokens/'), `token labels at 1400 px: ${all}`);
    await finish(wide);
  });

  test('exported weights: no scores box, no ⚠ line, the Scaling tab in one sentence', async (browser) => {
    const s = await open(browser, files.weights, 'vscode-dark', SIZES[1]);
    const shown = await s.page.evaluate(() => {
      const visible = (e) => e !== null && e.offsetParent !== null && !e.closest('[hidden]');
      return {
        scores: visible(document.querySelector('[data-matrix=scores]')),
        weights: visible(document.querySelector('[data-matrix=weights]')),
        warnings: Array.from(document.querySelectorAll('.warnings .warning')).map((w) => w.textContent),
      };
    });
    assert(shown.weights && !shown.scores, `weights shown, no scores box: ${JSON.stringify(shown)}`);
    assert(shown.warnings.length === 0, `no ⚠ lines for a normal file: ${shown.warnings.join(' | ')}`);
    await tab(s.page, 'scaling');
    const scaling = await s.page.evaluate(() => {
      const view = document.querySelector('.view-scaling');
      const visible = (e) => e.offsetParent !== null && !e.closest('[hidden]');
      return {
        text: Array.from(view.querySelectorAll('p, h2, h3'))
          .filter(visible)
          .map((e) => `${e.tagName}: ${e.textContent}`),
        canvases: Array.from(view.querySelectorAll('canvas, svg')).filter(visible).length,
      };
    });
    assert(
      scaling.text.length === 1 && /^P: Scaling needs the scores before softmax/.test(scaling.text[0]),
      `one sentence: ${scaling.text.join(' | ')}`,
    );
    assert(scaling.canvases === 0, `no figure and no chart heading without a chart: ${scaling.canvases}`);
    await finish(s);
  });

  test('explanations fold to their first sentence, and the choice survives a reload', async (browser) => {
    const s = await open(browser, files.text20, 'vscode-dark', SIZES[1]);
    const state = () => s.page.$$eval('details.explain', (d) => d.map((x) => x.open));
    assert(
      (await state()).every((o) => o === false),
      'folded by default',
    );
    await s.page.click('.view-attention details.explain > summary');
    await s.page.waitForTimeout(100);
    assert(
      (await state()).every((o) => o === true),
      `all explanations unfold together: ${await state()}`,
    );
    await s.page.reload();
    await s.page.waitForFunction(() => document.body.dataset.ready === '1');
    await s.page.waitForTimeout(150);
    assert(
      (await state()).every((o) => o === true),
      `remembered after a reload: ${await state()}`,
    );
    await finish(s);
  });

  test('a click on a row brings the step-by-step into view (44 tokens, 420×600), the row stays in view', async (browser) => {
    const s = await open(browser, files.text44, 'vscode-dark', SIZES[0]);
    const before = await s.page.$eval('.step', (e) => e.getBoundingClientRect().top);
    assert(before > 600, `the step-by-step starts below the fold: ${before}`);
    const p = await cellPoint(s.page, 'weights', 3, 3);
    await s.page.mouse.click(p.x, p.y);
    await s.page.waitForTimeout(200);
    const after = await s.page.evaluate(() => ({
      step: document.querySelector('.step').getBoundingClientRect().top,
      intro: document.querySelector('.step .caption').textContent,
    }));
    const row = await cellPoint(s.page, 'weights', 3, 3);
    assert(after.step < 600, `the step-by-step's top is in view after the click: ${after.step}`);
    assert(row.y > 0 && row.y < 600, `the clicked row is still in view: y=${row.y}`);
    assert(/\(row 3\)/.test(after.intro), after.intro);
    await finish(s);
  });
}

module.exports = { register };
