#!/usr/bin/env node
// UI end-to-end test, as a person uses the extension: package the .vsix, install it into a fresh
// code-server, open the sample workspace in headless chromium, then
//   - select text and run "Inspect Selection" from the command palette, and again from the editor
//     context menu, and read the panel that opens (its tokens, its heatmap's pixels);
//   - open the "Attention" activity-bar container, click an example and a workspace tensor file, and
//     read the panel and the Layers & Heads view;
//   - inspect a broken file from the explorer's context menu (an error naming it, no panel);
//   - reload the window with a panel open (the panel comes back with the same tokens).
// On the way it takes the README's screenshots of the real workbench (media/screenshots/, committed).
//
//   node test/vscode/e2e/run.js          (npm run test:e2e)
//
// Debug screenshots (every step's end state, failures) land in test-results/vscode-e2e/ (git-ignored).
// Environment: KEEP_RUN_DIR=1 keeps the temp folder (vsix, logs); E2E_TIMEOUT_MS bounds each wait
// (default 20000); E2E_STEP_TIMEOUT_MS bounds a whole step (default 60000).
//
// To extend: add a step to STEPS; read the panel with ../lib/panel.js.
/* global window */
const assert = require('assert');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const toolchain = require('../lib/toolchain');
const cs = require('../lib/codeServer');
const wb = require('../lib/workbench');
const panel = require('../lib/panel');
const { summaryLine, seconds, runHarness } = require('../lib/report');
const { runSteps } = require('../lib/steps');

const LABEL = 'vscode e2e';
const SHOTS = path.join(toolchain.RESULTS_DIR, 'vscode-e2e');
// The README's pictures: committed, so they are taken at a fixed, modest size.
const README_SHOTS = path.join(toolchain.ROOT, 'media', 'screenshots');
const VIEWPORT = { width: 1280, height: 800 };
const WAIT_MS = Number(process.env.E2E_TIMEOUT_MS || 20000);
const STEP_MS = Number(process.env.E2E_STEP_TIMEOUT_MS || 60000);
const manifest = toolchain.manifest();
const EXTENSION_ID = `${manifest.publisher}.${manifest.name}`;

const titles = toolchain.commandTitles;
const INSPECT_SELECTION = titles('attentionInspector.inspectSelection').palette;
const SELECTION_MENU = titles('attentionInspector.inspectSelectionFromMenu').menu;
const FILE_MENU = titles('attentionInspector.inspectFileFromMenu').menu;

const SAMPLE = 'sample.txt';
const SAMPLE_LINES = fs.readFileSync(path.join(toolchain.WORKSPACE, SAMPLE), 'utf8').split('\n');
const words = (text) => text.split(/\s+/).filter(Boolean);

// ---- what the user sees ------------------------------------------------------------------------

/** The editor tabs of inspector panels ("Attention: …"). */
async function panelTabs(page) {
  return (await wb.editorTabs(page)).filter((t) => t.startsWith('Attention:'));
}

/**
 * Waits for the panel titled `title` to be the visible webview and to have loaded, then checks what
 * a person reads from it: the row tokens, and a weights heatmap painted in varying colours.
 */
async function expectPanel(page, { title, tokens, pixels = true }) {
  if (title)
    await page.locator('.tabs-container .tab.active', { hasText: title }).first().waitFor({ timeout: WAIT_MS });
  const frame = await panel.waitPanelReady(page, WAIT_MS);
  const shown = await panel.rowTokens(frame);
  assert.deepStrictEqual(shown, tokens, 'the panel labels its rows with the tokens');
  if (!pixels) return `tokens ${JSON.stringify(shown)}`;
  const { background, cells } = await panel.heatmapPixels(frame);
  const distance = (a, b) => Math.max(...[0, 1, 2].map((k) => Math.abs(a[k] - b[k])));
  const blank = cells.filter((c) => c[3] === 0 || distance(c, background) < 6);
  assert.strictEqual(
    blank.length,
    0,
    `every weights cell is painted (background rgb(${background.slice(0, 3)})): ${blank.length} of ${cells.length} are not`,
  );
  const colours = new Set(cells.map((c) => c.slice(0, 3).join(',')));
  assert.ok(
    colours.size >= Math.min(3, cells.length),
    `the weights heatmap varies in colour: ${colours.size} distinct colours in ${cells.length} cells`,
  );
  return `tokens ${JSON.stringify(shown)}, ${colours.size} colours in ${cells.length} cells`;
}

async function expectNoErrorToast(page) {
  const errors = await page
    .locator('.notifications-toasts .notification-list-item', { has: page.locator('.codicon-error') })
    .allInnerTexts();
  assert.deepStrictEqual(
    errors.map((t) => t.trim().split('\n')[0]),
    [],
    'no error notification',
  );
}

/** Closes every editor and panel, so the next step's panel is the only webview. */
async function closeAllEditors(page) {
  await wb.runPaletteCommand(page, 'View: Close All Editor Groups');
  await page.locator('.tabs-container .tab').first().waitFor({ state: 'detached', timeout: WAIT_MS });
  await page.locator('iframe.webview').first().waitFor({ state: 'detached', timeout: WAIT_MS });
}

/** Opens sample.txt from the explorer and selects lines [first, last]; returns the selected text. */
async function selectSample(page, first, last = first) {
  await wb.showExplorer(page);
  await wb.sidebarRow(page, SAMPLE).click();
  await page.locator('.tabs-container .tab.active', { hasText: SAMPLE }).waitFor({ timeout: WAIT_MS });
  await wb.selectLines(page, first, last);
  const selected = SAMPLE_LINES.slice(first, last + 1).join('\n');
  await wb.waitSelectionStatus(page, new RegExp(`\\(${selected.length} selected\\)`));
  return selected;
}

/**
 * The panel sizes its heatmaps when it draws them and does not redraw when it is resized; moving the
 * pointer over a heatmap redraws it (and its neighbours) at the current width, as it would for a
 * person. Then back to the top of the panel.
 */
async function relayoutPanel(page, matrix = 'weights') {
  const frame = panel.panelFrame(page);
  const canvas = frame.locator(`[data-matrix=${matrix}] canvas`).first();
  await canvas.hover({ position: { x: 5, y: 5 } });
  await page.mouse.move(VIEWPORT.width - 2, VIEWPORT.height - 2);
  await frame.locator('body').evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(200);
}

/** A README picture of the workbench, or only of `clip` (a locator) when given. */
async function readmeShot(page, name, clip = null) {
  fs.mkdirSync(README_SHOTS, { recursive: true });
  const file = path.join(README_SHOTS, name);
  await page.mouse.move(VIEWPORT.width - 2, VIEWPORT.height - 2); // no hover highlight or tooltip in the picture
  await page.waitForTimeout(300);
  await page.screenshot({ path: file, clip: clip ? await clip.boundingBox() : undefined });
  return `${path.relative(toolchain.ROOT, file)} ${(fs.statSync(file).size / 1024).toFixed(0)} KB`;
}

// ---- packaging ---------------------------------------------------------------------------------

/** The files inside a .vsix (a zip), read with fflate, a dependency of the extension: name → bytes. */
function vsixFiles(vsix) {
  const { unzipSync } = require('fflate');
  return unzipSync(new Uint8Array(fs.readFileSync(vsix)));
}

const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');

/** Every file the .vsix carries is in the installed folder with the same bytes. */
function compareInstalled(vsixFilesByName, installedDir) {
  const differ = [];
  let compared = 0;
  for (const [name, bytes] of Object.entries(vsixFilesByName)) {
    if (!name.startsWith('extension/') || name.endsWith('/')) continue;
    const rel = name.slice('extension/'.length);
    if (rel === 'package.json') continue; // the installer may add metadata to it
    const installed = path.join(installedDir, rel);
    if (!fs.existsSync(installed) || sha256(fs.readFileSync(installed)) !== sha256(bytes)) differ.push(rel);
    compared++;
  }
  return { compared, differ };
}

// ---- the steps ---------------------------------------------------------------------------------

// Each step gets the shared state and returns an optional detail string; an assertion failing stops
// the run (later steps depend on the earlier ones), takes a screenshot and counts as one failure.
const STEPS = [
  [
    'packages the extension with vsce',
    async (s) => {
      s.vsix = toolchain.packageVsix(s.runDir);
      s.vsixFiles = vsixFiles(s.vsix);
      const entries = Object.keys(s.vsixFiles);
      for (const needed of [
        'extension/package.json',
        `extension/${path.posix.normalize(manifest.main)}`,
        'extension/dist/webview.js',
      ]) {
        assert.ok(entries.includes(needed), `${needed} is in the .vsix`);
      }
      assert.ok(
        !entries.some((e) => e.startsWith('extension/node_modules/')),
        'no node_modules in the .vsix (the bundle is self-contained)',
      );
      // The details page a user sees after installing: the user-facing README.extension.md, whose
      // pictures are files in the .vsix (shown offline), not links to the repository.
      const readme = Buffer.from(s.vsixFiles['extension/readme.md'] || []).toString('utf8');
      assert.ok(readme.startsWith('# Attention Inspector'), 'the .vsix carries the details page as readme.md');
      assert.ok(!readme.includes('npm install'), 'the details page is for users, not the developer commands');
      const pictures = [...readme.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]);
      assert.ok(pictures.length >= 2, `the details page shows pictures: ${pictures.join(', ')}`);
      for (const picture of pictures)
        assert.ok(entries.includes(`extension/${picture}`), `${picture} is bundled in the .vsix (shown offline)`);
      return `${path.basename(s.vsix)}, ${entries.length} entries, ${(fs.statSync(s.vsix).size / 1024).toFixed(0)} KB`;
    },
  ],
  [
    'installs the .vsix with code-server --install-extension, and only it',
    async (s) => {
      cs.installVsix(s.runDir, s.vsix);
      const extensionsDir = path.join(s.runDir, 'extensions');
      const installed = fs.readdirSync(extensionsDir).filter((e) => !e.startsWith('.') && e !== 'extensions.json');
      assert.deepStrictEqual(
        installed,
        [`${EXTENSION_ID}-${manifest.version}`],
        'the extensions folder holds our extension only',
      );
      const { compared, differ } = compareInstalled(s.vsixFiles, path.join(extensionsDir, installed[0]));
      assert.deepStrictEqual(differ, [], 'the installed files are the .vsix files, byte for byte');
      const registry = JSON.parse(fs.readFileSync(path.join(extensionsDir, 'extensions.json'), 'utf8'));
      const entry = registry.find((e) => e.identifier && e.identifier.id === EXTENSION_ID);
      assert.ok(entry, `extensions.json lists ${EXTENSION_ID}`);
      assert.strictEqual(entry.version, manifest.version);
      if (entry.metadata && entry.metadata.source)
        assert.strictEqual(entry.metadata.source, 'vsix', 'installed from a .vsix');
      return `${compared} files identical to the .vsix${entry.metadata && entry.metadata.source ? `, source ${entry.metadata.source}` : ''}`;
    },
  ],
  [
    'opens the workspace in the workbench',
    async (s) => {
      const [server, browser] = await Promise.allSettled([
        cs.startCodeServer({ runDir: s.runDir, folder: toolchain.WORKSPACE, extraArgs: ['--log', 'trace'] }),
        wb.launchBrowser(path.join(s.runDir, 'xdg')),
      ]);
      if (server.status === 'fulfilled') s.server = server.value;
      if (browser.status === 'fulfilled') s.browser = browser.value;
      if (server.status === 'rejected') throw server.reason;
      if (browser.status === 'rejected') throw browser.reason;
      s.page = await s.browser.newPage({ viewport: VIEWPORT, deviceScaleFactor: 1 });
      s.page.setDefaultTimeout(WAIT_MS);
      await s.page.goto(wb.workbenchUrl(s.server, toolchain.WORKSPACE), { timeout: 60000 });
      await wb.waitWorkbench(s.page, SAMPLE);
    },
  ],
  [
    `selects "${SAMPLE_LINES[0]}" in ${SAMPLE} and runs "${INSPECT_SELECTION}" from the palette`,
    async (s) => {
      const selected = await selectSample(s.page, 0);
      await wb.runPaletteCommand(s.page, INSPECT_SELECTION);
      const detail = await expectPanel(s.page, { title: `Attention: “${selected}”`, tokens: words(selected) });
      await expectNoErrorToast(s.page);
      return detail;
    },
  ],
  [
    'the extension running in the workbench is the installed .vsix',
    async (s) => {
      // With --log trace the extension host logs the file it loads each extension's main module from,
      // and the server logs each file it serves to the webview.
      const installedDir = path.join(s.runDir, 'extensions', `${EXTENSION_ID}-${manifest.version}`);
      const lines = cs.logFiles(s.runDir, /\.log$/).flatMap((f) => fs.readFileSync(f, 'utf8').split('\n'));
      const main = path.posix.normalize(manifest.main);
      const loaded = lines.filter(
        (l) => /ExtensionService#loadModule/.test(l) && l.includes(`/${main}`) && l.includes(EXTENSION_ID),
      );
      assert.ok(loaded.length > 0, `the extension host log shows ${EXTENSION_ID}'s ${main} being loaded`);
      for (const l of loaded)
        assert.ok(l.includes(`file://${installedDir}/${main}`), `loaded from the installed folder: ${l.slice(0, 300)}`);
      const fromRepo = lines.filter((l) => l.includes(path.join(toolchain.ROOT, 'dist')));
      assert.deepStrictEqual(
        fromRepo.map((l) => l.slice(0, 200)),
        [],
        "nothing is loaded from the repository's dist/",
      );
      return `${main} loaded from ${installedDir.replace(s.runDir, '<run>')}`;
    },
  ],
  [
    'README picture: the panel beside the selection (Scores & weights)',
    async (s) => {
      // Give the panel most of the window, as a person reading it would: hide the side bar and drag the
      // editors' sash to the left, keeping the selected line in view.
      await wb.runPaletteCommand(s.page, 'View: Toggle Primary Side Bar Visibility');
      await s.page.locator('.part.sidebar').waitFor({ state: 'hidden', timeout: WAIT_MS });
      await wb.dragEditorSash(s.page, 380);
      await relayoutPanel(s.page);
      // Both heatmaps whole, under the panel's toolbar (which stays at the top).
      await panel
        .panelFrame(s.page)
        .locator('.view-attention .figure-row')
        .evaluate((e) => e.scrollIntoView({ block: 'end' }));
      return readmeShot(s.page, 'panel-scores-weights.png');
    },
  ],
  [
    "the panel's Scaling tab draws its heatmap (README picture)",
    async (s) => {
      const frame = panel.panelFrame(s.page);
      await panel.showTab(frame, 'scaling', WAIT_MS);
      await relayoutPanel(s.page, 'live');
      const { background, cells } = await panel.heatmapPixels(frame, 'live');
      assert.ok(
        cells.every((c) => c.slice(0, 3).join() !== background.slice(0, 3).join()),
        'the live heatmap is painted',
      );
      return readmeShot(s.page, 'panel-scaling.png');
    },
  ],
  [
    `offers "${SELECTION_MENU}" in the editor context menu of a selection, and it opens the panel`,
    async (s) => {
      await closeAllEditors(s.page);
      const selected = await selectSample(s.page, 1, 2);
      const labels = await wb.openEditorContextMenu(s.page);
      await s.page.screenshot({ path: path.join(SHOTS, 'context-menu.png') });
      assert.ok(labels.includes(SELECTION_MENU), `context menu lists "${SELECTION_MENU}": ${labels.join(' | ')}`);
      await wb.clickContextMenuItem(s.page, SELECTION_MENU);
      const detail = await expectPanel(s.page, { title: 'Attention: “attention lets every', tokens: words(selected) });
      await expectNoErrorToast(s.page);
      return detail;
    },
  ],
  [
    `hides "${SELECTION_MENU}" from the context menu without a selection`,
    async (s) => {
      await s.page.locator('.tabs-container .tab', { hasText: SAMPLE }).first().click();
      await s.page.locator('.editor-instance .monaco-editor .view-lines').first().click();
      await s.page.keyboard.press('Control+End');
      await wb.waitSelectionStatus(s.page, /^\s*Ln 4, Col 1\s*$/); // the empty last line, nothing selected
      const labels = await wb.openEditorContextMenu(s.page, { atSelection: false });
      await s.page.keyboard.press('Escape');
      assert.ok(!labels.includes(SELECTION_MENU), `context menu without selection: ${labels.join(' | ')}`);
    },
  ],
  [
    'tells the user to select text when the palette command runs without a selection',
    async (s) => {
      await wb.clearNotifications(s.page);
      const before = (await panelTabs(s.page)).length;
      await wb.runPaletteCommand(s.page, INSPECT_SELECTION);
      const text = await wb.waitNotification(s.page, /select some text/i);
      assert.strictEqual((await panelTabs(s.page)).length, before, 'no new panel');
      return JSON.stringify(text);
    },
  ],
  [
    'the Attention activity-bar container lists the examples; clicking “I go home” opens it',
    async (s) => {
      await closeAllEditors(s.page);
      await wb.clearNotifications(s.page);
      await wb.openActivityBarView(s.page, 'Attention');
      for (const view of ['Examples', 'Recent Inspections', 'Workspace Tensor Files', 'Layers & Heads']) {
        await wb.sidebarView(s.page, view).waitFor({ timeout: WAIT_MS });
      }
      await wb.sidebarRow(s.page, '“I go home”', 'Examples').click();
      return expectPanel(s.page, { title: 'Attention: "I go home"', tokens: ['I', 'go', 'home'] });
    },
  ],
  [
    'clicking model.safetensors in Workspace Tensor Files opens it; Layers & Heads lists its layers',
    async (s) => {
      await closeAllEditors(s.page);
      await wb.sidebarRow(s.page, 'model.safetensors', 'Workspace Tensor Files').click();
      const detail = await expectPanel(s.page, {
        title: 'Attention: model.safetensors',
        tokens: ['The', 'cat', 'sat', '.'],
      });
      const heads = wb.sidebarRows(s.page, 'Layers & Heads');
      await heads
        .filter({ hasText: /^Layer 1/ })
        .first()
        .waitFor({ timeout: WAIT_MS });
      const labels = await heads.locator('.label-name').allTextContents();
      assert.deepStrictEqual(
        labels.filter((l) => /^Layer \d/.test(l)),
        ['Layer 0', 'Layer 1'],
        `Layers & Heads: ${labels.join(' | ')}`,
      );
      return detail;
    },
  ],
  [
    "the GPT-style example's Heads & layers grid (README picture)",
    async (s) => {
      await closeAllEditors(s.page);
      await (await wb.revealSidebarRow(s.page, 'GPT-style attention (.safetensors)', 'Examples')).click();
      await s.page
        .locator('.tabs-container .tab.active', { hasText: 'GPT-style attention (.safetensors)' })
        .waitFor({ timeout: WAIT_MS });
      const frame = await panel.waitPanelReady(s.page, WAIT_MS);
      await panel.showTab(frame, 'heads', WAIT_MS);
      const thumbnails = frame.locator('vscode-tab-panel[data-tab=heads] canvas');
      await thumbnails.first().waitFor({ timeout: WAIT_MS });
      const n = await thumbnails.count();
      assert.ok(n >= 16, `the grid shows every head of 4 layers × 4 heads: ${n} canvases`);
      return `${n} thumbnails; ${await readmeShot(s.page, 'panel-heads-grid.png')}`;
    },
  ],
  [
    `"${FILE_MENU}" on tensors/broken.npy in the explorer shows an error naming it, and no panel`,
    async (s) => {
      await closeAllEditors(s.page);
      await wb.clearNotifications(s.page);
      await wb.showExplorer(s.page);
      const folder = wb.sidebarRow(s.page, 'tensors');
      if ((await folder.getAttribute('aria-expanded')) !== 'true') await folder.click();
      const file = wb.sidebarRow(s.page, 'broken.npy');
      await file.click({ button: 'right' });
      const labels = await wb.contextMenuLabels(s.page);
      assert.ok(labels.includes(FILE_MENU), `explorer context menu lists "${FILE_MENU}": ${labels.join(' | ')}`);
      await wb.clickContextMenuItem(s.page, FILE_MENU);
      const toast = s.page
        .locator('.notifications-toasts .notification-list-item', {
          has: s.page.locator('.codicon-error'),
          hasText: 'broken.npy',
        })
        .first();
      await toast.waitFor({ timeout: WAIT_MS });
      const text = (await toast.locator('.notification-list-item-message').textContent()).trim();
      await s.page.waitForTimeout(1000); // a panel would open right after the error, if at all
      assert.deepStrictEqual(await panelTabs(s.page), [], 'no panel opened');
      assert.strictEqual(await s.page.locator('iframe.webview').count(), 0, 'no webview');
      return JSON.stringify(text);
    },
  ],
  [
    '"Developer: Reload Window" with a panel open restores the panel with the same tokens',
    async (s) => {
      await wb.clearNotifications(s.page);
      const selected = await selectSample(s.page, 2);
      await wb.runPaletteCommand(s.page, INSPECT_SELECTION);
      const title = `Attention: “${selected}”`;
      await expectPanel(s.page, { title, tokens: words(selected), pixels: false });
      // The command, not the browser's reload: it waits for the workbench to store the open editors
      // (with the panel's state) before reloading; a browser reload may cut that write short.
      await wb.reloadWindow(s.page);
      await wb.waitWorkbench(s.page);
      const tab = s.page.locator('.tabs-container .tab', { hasText: title }).first();
      await tab.waitFor({ timeout: WAIT_MS });
      await tab.click();
      // The panel says so when the extension could not tell which input it showed (no restore key).
      const frame = panel.panelFrame(s.page);
      await frame.locator('body[data-ready]').waitFor({ timeout: WAIT_MS });
      if ((await frame.locator('body').getAttribute('data-ready')) === 'error') {
        const shown = (await frame.locator('body').innerText()).replace(/\s+/g, ' ').trim();
        throw new Error(`the restored panel shows an error instead of the tokens: "${shown}"`);
      }
      return expectPanel(s.page, { title, tokens: words(selected) });
    },
  ],
  [
    'a 5000-token selection opens as an overview of blocks; clicking a block computes its tokens at full resolution',
    async (s) => {
      await closeAllEditors(s.page);
      await wb.clearNotifications(s.page);
      await wb.openFile(s.page, 'long.txt');
      await s.page.locator('.editor-instance .monaco-editor .view-line').first().click();
      await s.page.keyboard.press('Control+A');
      await wb.runPaletteCommand(s.page, 'Attention Inspector: Inspect Selection');
      const frame = await panel.waitPanelReady(s.page, 60000);
      const warning = (await frame.locator('.warnings').innerText()).trim();
      assert.match(warning, /5000 tokens: more than 4096, so each cell is a block of 5 × 5 tokens/);
      const weights = frame.locator('[data-matrix=weights]');
      // The heatmap publishes its geometry when it first draws, a frame after the data arrived.
      const canvas = weights.locator('canvas[data-plot]').first();
      await canvas.waitFor({ timeout: WAIT_MS });
      const g = await panel.heatmapGeometry(canvas);
      assert.strictEqual(Math.round(g.view.rows), 1000, '5000 tokens in 1000 blocks');
      await canvas.hover({ position: panel.cellPosition(g, 0, 0), force: true });
      const first = (
        await weights
          .locator('.tooltip:not([hidden]) .tooltip-line', { hasText: /^query/ })
          .first()
          .textContent()
      ).trim();
      assert.match(first, /^query\s*“#0–4 attention” \(row 0\)$/);
      // A click on block (500, 500): the 128 tokens around token 2502, both ways, at full resolution.
      await canvas.click({ position: panel.cellPosition(g, 500, 500), force: true });
      const region = frame.locator('[data-matrix=region]');
      // Drawn with the region's 128 × 128 cells (data-view: row0, col0, rows, cols).
      await region
        .locator('canvas[data-view$=",128.0000,128.0000"]')
        .first()
        .waitFor({ state: 'visible', timeout: WAIT_MS });
      const rg = await panel.heatmapGeometry(region.locator('canvas').first());
      assert.deepStrictEqual([Math.round(rg.view.rows), Math.round(rg.view.cols)], [128, 128]);
      await region
        .locator('canvas')
        .first()
        .hover({ position: panel.cellPosition(rg, 0, 0), force: true });
      const line = (
        await region
          .locator('.tooltip:not([hidden]) .tooltip-line', { hasText: /^query/ })
          .first()
          .textContent()
      ).trim();
      const m = /^query\s*“(.+)” \(token (\d+)\)$/.exec(line);
      assert.ok(m, `the region's rows are tokens: ${line}`);
      // Blocks are under half a pixel wide here: the click lands on block 500 give or take one.
      const start = Number(m[2]);
      assert.ok(
        Math.abs(start - 2438) <= 10,
        `the region starts 64 tokens before the clicked block's centre (token ${start})`,
      );
      const words = fs.readFileSync(path.join(toolchain.WORKSPACE, 'long.txt'), 'utf8').split(/\s+/).filter(Boolean);
      assert.strictEqual(m[1], words[start], "and is labelled with the text's own token");
      const { cells } = await panel.heatmapPixels(frame, 'region');
      const colours = new Set(cells.map((c) => c.slice(0, 3).join(',')));
      assert.ok(colours.size >= 10, `the region is painted (${colours.size} colours)`);
      await expectNoErrorToast(s.page);
      await region.scrollIntoViewIfNeeded();
      const shot = await readmeShot(
        s.page,
        'panel-long-sequence.png',
        s.page.locator('iframe.webview.ready:visible').first(),
      );
      return `1000×1000 blocks of 5 tokens; region tokens ${start}–${start + 127} labelled “${m[1]}”…, ${colours.size} colours in ${cells.length} cells; ${shot}`;
    },
  ],
  [
    'the Settings editor titles the settings in words, in four sections (no "Model: D K")',
    async (s) => {
      // VS Code titles a setting from its key ("model.dK" → "Model: D K"): the keys are the titles.
      await closeAllEditors(s.page).catch(() => {});
      await wb.runPaletteCommand(s.page, 'Preferences: Open Settings (UI)');
      const editor = s.page.locator('.settings-editor');
      await editor.waitFor({ timeout: WAIT_MS });
      await s.page.keyboard.type(`@ext:${EXTENSION_ID}`);
      const titles = editor.locator('.settings-tree-container .setting-item-title');
      await titles.first().waitFor({ timeout: WAIT_MS });
      await s.page.waitForTimeout(500); // the filtered list settles
      const seen = (await titles.allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
      assert.ok(
        seen.some((t) => /Seeded Model: Query Key Width/.test(t)),
        `the seeded model's d_k setting is titled in words: ${seen.join(' | ')}`,
      );
      const cryptic = seen.filter((t) => /\bD (K|V|Model)\b/.test(t));
      assert.deepStrictEqual(cryptic, [], 'no setting titled "D K", "D V" or "D Model"');
      const toc = (await editor.locator('.settings-toc-container .monaco-list-row').allTextContents()).join(' | ');
      for (const section of ['Seeded random model', 'Real model', 'Panel', 'Limits'])
        assert.ok(toc.includes(section), `the table of contents has "${section}": ${toc}`);
      const shot = await readmeShot(s.page, 'settings.png');
      await closeAllEditors(s.page).catch(() => {});
      return `${seen.length} titles shown, e.g. ${seen.slice(0, 3).join('; ')}; ${shot}`;
    },
  ],
];

function slug(title) {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);
}

async function main() {
  const t0 = Date.now();
  toolchain.ensureBuilt({ testHooks: false });
  toolchain.ensureToolchain();
  fs.rmSync(SHOTS, { recursive: true, force: true });
  fs.mkdirSync(SHOTS, { recursive: true });
  // Texts up to 8192 tokens (the default cap is 4096): the long-sequence step selects 5000.
  const s = { runDir: cs.makeRunDir('ai-vscode-e2e', { 'attentionInspector.limits.maxTokens': 8192 }) };
  let result;
  try {
    result = await runSteps(STEPS, s, {
      stepMs: STEP_MS,
      passShot: (index, title) => path.join(SHOTS, `${String(index).padStart(2, '0')}-${slug(title)}.png`),
      failShot: (_index, title) => path.join(SHOTS, `fail-${slug(title)}.png`),
    });
  } finally {
    if (s.browser) await s.browser.close().catch(() => {});
    await cs.stopCodeServer(s.server);
  }
  const { passed, failed, notRun } = result;
  if (failed > 0) {
    if (s.server) console.log(`  --- code-server log (tail) ---\n${s.server.log().slice(-1500)}`);
    console.log(`  run folder kept for inspection: ${s.runDir}`);
  } else {
    cs.removeRunDir(s.runDir);
  }
  const note = `${notRun ? `${notRun} not run, ` : ''}code-server ${toolchain.pinnedVersions().codeServer} + chromium, ${seconds(Date.now() - t0)}; screenshots in ${path.relative(toolchain.ROOT, SHOTS)}/ and ${path.relative(toolchain.ROOT, README_SHOTS)}/`;
  console.log(summaryLine(LABEL, passed, failed, note));
  return failed > 0 ? 1 : 0;
}

runHarness(LABEL, main);
