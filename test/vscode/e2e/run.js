#!/usr/bin/env node
// UI end-to-end test, as a person uses the extension: package the .vsix, install it into a fresh
// code-server, open the sample workspace in headless chromium, select text, run "Inspect Selection"
// from the command palette and from the editor context menu.
//
//   node test/vscode/e2e/run.js          (npm run test:e2e)
//
// Screenshots land in test-results/vscode-e2e/ (git-ignored). Environment: KEEP_RUN_DIR=1 keeps the
// temp folder (vsix, logs); E2E_TIMEOUT_MS bounds each step (default 30000).
//
// To extend: add a step to STEPS, or assert more in expectInspected() (e.g. the panel's webview).
const assert = require('assert');
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const toolchain = require('../lib/toolchain');
const cs = require('../lib/codeServer');
const wb = require('../lib/workbench');
const { summaryLine, seconds } = require('../lib/report');

const LABEL = 'vscode e2e';
const SHOTS = path.join(toolchain.RESULTS_DIR, 'vscode-e2e');
const STEP_TIMEOUT_MS = Number(process.env.E2E_TIMEOUT_MS || 30000);
const manifest = toolchain.manifest();
const EXTENSION_ID = `${manifest.publisher}.${manifest.name}`;
const COMMAND = 'attentionInspector.inspectSelection';
const contributed = (manifest.contributes.commands || []).find((c) => c.command === COMMAND);
const PALETTE_TITLE = contributed ? `${contributed.category}: ${contributed.title}` : COMMAND;
const MENU_TITLE = contributed ? contributed.title : COMMAND; // context menus omit the category
const SAMPLE = 'sample.txt';
const FIRST_LINE = 'the cat sat on the mat';

/**
 * What the user should see after inspecting a selection whose words are `tokens`. Today the command
 * shows nothing on success, so this checks it did not fail visibly; the caller has already checked,
 * in the extension host's log, that the command ran there. When the panel lands, read it here, e.g.
 *   const panel = wb.webviewFrame(page);
 *   await panel.locator('#tokens').waitFor({ timeout: STEP_TIMEOUT_MS });
 *   assert.deepStrictEqual(await panel.locator('#tokens .token').allTextContents(), tokens);
 */
async function expectInspected(page, { tokens: _tokens }) {
  await page.waitForTimeout(500); // a failing command's error toast appears right after it settles
  await expectNoErrorToast(page);
}

async function expectNoErrorToast(page) {
  const errors = await page.locator('.notifications-toasts .notification-list-item', { has: page.locator('.codicon-error') }).allInnerTexts();
  assert.deepStrictEqual(errors.map((t) => t.trim().split('\n')[0]), [], 'no error notification');
}

/** Counts the extension host's trace lines for executions of our command (needs --log trace). */
function commandRuns(runDir) {
  let n = 0;
  for (const file of cs.logFiles(runDir, /^remoteexthost\.log$/)) {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      if (line.includes(`$executeContributedCommand ${COMMAND}`)) n++;
    }
  }
  return n;
}

/** Waits until the extension host has logged `expected` executions of the command in total. */
async function waitCommandRuns(page, runDir, expected) {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  let n = commandRuns(runDir);
  while (n < expected && Date.now() < deadline) {
    await page.waitForTimeout(200);
    n = commandRuns(runDir);
  }
  assert.strictEqual(n, expected, `the extension host ran ${COMMAND} ${expected} time(s)`);
}

/** Names of the files inside a .vsix (a zip), read with fflate, a dependency of the extension. */
function vsixEntries(vsix) {
  const { unzipSync } = require('fflate');
  const names = [];
  unzipSync(new Uint8Array(fs.readFileSync(vsix)), { filter: (f) => { names.push(f.name); return false; } });
  return names;
}

/**
 * vsce packages from a copy of the repository without the git-ignored heavy folders: vsce walks every
 * folder before applying its ignore rules, and .vscode-test/ alone (the toolchain) costs it ~7 s.
 * node_modules is linked so a `vscode:prepublish` script still works; vsce does not package it.
 */
function packageVsix(runDir) {
  const skip = new Set(['.git', 'node_modules', '.vscode-test', 'test-results', 'bench-results', 'out']);
  const stage = path.join(runDir, 'package-src');
  fs.mkdirSync(stage);
  for (const entry of fs.readdirSync(toolchain.ROOT)) {
    if (skip.has(entry) || entry.endsWith('.vsix')) continue;
    fs.cpSync(path.join(toolchain.ROOT, entry), path.join(stage, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(toolchain.ROOT, 'node_modules'), path.join(stage, 'node_modules'));
  const vsix = path.join(runDir, `${manifest.name}-${manifest.version}.vsix`);
  const vsce = path.join(toolchain.ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
  const r = spawnSync(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '-o', vsix],
    { cwd: stage, encoding: 'utf8', timeout: 120000 });
  if (r.status !== 0) throw new Error(`vsce package failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  return vsix;
}

// Each step gets the shared state and returns an optional detail string; an assertion failing stops
// the run (later steps depend on the earlier ones), takes a screenshot and counts as one failure.
const STEPS = [
  ['packages the extension with vsce', async (s) => {
    s.vsix = packageVsix(s.runDir);
    const entries = vsixEntries(s.vsix);
    for (const needed of ['extension/package.json', `extension/${path.posix.normalize(manifest.main)}`]) {
      assert.ok(entries.includes(needed), `${needed} is in the .vsix`);
    }
    assert.ok(!entries.some((e) => e.startsWith('extension/node_modules/')), 'no node_modules in the .vsix (the bundle is self-contained)');
    return `${path.basename(s.vsix)}, ${entries.length} entries, ${(fs.statSync(s.vsix).size / 1024).toFixed(0)} KB`;
  }],
  ['installs the .vsix with code-server --install-extension', async (s) => {
    cs.installVsix(s.runDir, s.vsix);
    const installed = fs.readdirSync(path.join(s.runDir, 'extensions'));
    assert.ok(installed.includes(`${EXTENSION_ID}-${manifest.version}`), `extensions dir has ${EXTENSION_ID}-${manifest.version}: ${installed}`);
  }],
  ['opens the workspace in the workbench', async (s) => {
    // --log trace makes the extension host log each contributed command it executes.
    const [server, browser] = await Promise.allSettled([
      cs.startCodeServer({ runDir: s.runDir, folder: toolchain.WORKSPACE, extraArgs: ['--log', 'trace'] }),
      wb.launchBrowser(path.join(s.runDir, 'xdg')),
    ]);
    if (server.status === 'fulfilled') s.server = server.value;
    if (browser.status === 'fulfilled') s.browser = browser.value;
    if (server.status === 'rejected') throw server.reason;
    if (browser.status === 'rejected') throw browser.reason;
    s.page = await s.browser.newPage({ viewport: { width: 1400, height: 900 } });
    s.page.setDefaultTimeout(STEP_TIMEOUT_MS);
    await s.page.goto(wb.workbenchUrl(s.server, toolchain.WORKSPACE), { timeout: 60000 });
    await wb.waitWorkbench(s.page, SAMPLE);
  }],
  ['opens sample.txt and selects its first line', async (s) => {
    await s.page.locator('.explorer-folders-view .monaco-list-row', { hasText: SAMPLE }).first().click();
    await s.page.locator('.tabs-container .tab.active', { hasText: SAMPLE }).waitFor();
    await wb.selectLines(s.page, 0);
    await wb.waitSelectionStatus(s.page, new RegExp(`\\(${FIRST_LINE.length} selected\\)`));
  }],
  [`runs "${PALETTE_TITLE}" from the command palette`, async (s) => {
    await wb.runPaletteCommand(s.page, PALETTE_TITLE);
    await waitCommandRuns(s.page, s.runDir, 1);
    await expectInspected(s.page, { tokens: FIRST_LINE.split(' ') });
    await s.page.screenshot({ path: path.join(SHOTS, '01-palette.png') });
  }],
  [`offers "${MENU_TITLE}" in the editor context menu of a selection and runs it`, async (s) => {
    await s.page.locator('.tabs-container .tab', { hasText: SAMPLE }).first().click();
    await wb.selectLines(s.page, 1, 2);
    const lines = fs.readFileSync(path.join(toolchain.WORKSPACE, SAMPLE), 'utf8').split('\n');
    const selected = `${lines[1]}\n${lines[2]}`;
    await wb.waitSelectionStatus(s.page, new RegExp(`\\(${selected.length} selected\\)`));
    const labels = await wb.openEditorContextMenu(s.page);
    await s.page.screenshot({ path: path.join(SHOTS, '02-context-menu.png') });
    assert.ok(labels.includes(MENU_TITLE), `context menu lists "${MENU_TITLE}": ${labels.join(' | ')}`);
    await wb.clickContextMenuItem(s.page, MENU_TITLE);
    await waitCommandRuns(s.page, s.runDir, 2);
    await expectInspected(s.page, { tokens: selected.split(/\s+/) });
    await s.page.screenshot({ path: path.join(SHOTS, '03-context-menu-ran.png') });
  }],
  [`hides "${MENU_TITLE}" from the context menu without a selection`, async (s) => {
    await s.page.locator('.tabs-container .tab', { hasText: SAMPLE }).first().click();
    await s.page.locator('.editor-instance .monaco-editor .view-lines').first().click();
    await s.page.keyboard.press('Control+End');
    await wb.waitSelectionStatus(s.page, /^\s*Ln 4, Col 1\s*$/); // the empty last line, nothing selected
    const labels = await wb.openEditorContextMenu(s.page, { atSelection: false });
    await s.page.keyboard.press('Escape');
    assert.ok(!labels.includes(MENU_TITLE), `context menu without selection: ${labels.join(' | ')}`);
  }],
  ['tells the user to select text when the palette command runs without a selection', async (s) => {
    await wb.clearNotifications(s.page);
    await wb.runPaletteCommand(s.page, PALETTE_TITLE);
    await waitCommandRuns(s.page, s.runDir, 3);
    const text = await wb.waitNotification(s.page, /select some text/i);
    await s.page.screenshot({ path: path.join(SHOTS, '04-no-selection.png') });
    return JSON.stringify(text);
  }],
];

function slug(title) {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
}

async function main() {
  const t0 = Date.now();
  toolchain.ensureBuilt();
  toolchain.ensureToolchain();
  fs.rmSync(SHOTS, { recursive: true, force: true });
  fs.mkdirSync(SHOTS, { recursive: true });
  const s = { runDir: cs.makeRunDir('ai-vscode-e2e') };
  let passed = 0, failed = 0, notRun = 0;
  try {
    for (const [title, step] of STEPS) {
      if (failed > 0) { notRun++; console.log(`  - ${title} (not run)`); continue; }
      const ts = Date.now();
      try {
        const detail = await step(s);
        passed++;
        console.log(`  ✓ ${title} (${seconds(Date.now() - ts)})${detail ? `: ${detail}` : ''}`);
      } catch (e) {
        failed++;
        console.log(`  ✗ ${title} (${seconds(Date.now() - ts)})`);
        for (const l of String((e && e.message) || e).split('\n').slice(0, 20)) console.log(`      ${l}`);
        if (s.page) {
          const shot = path.join(SHOTS, `fail-${slug(title)}.png`);
          await s.page.screenshot({ path: shot }).then(() => console.log(`      screenshot: ${path.relative(toolchain.ROOT, shot)}`), () => {});
        }
      }
    }
  } finally {
    if (s.browser) await s.browser.close().catch(() => {});
    await cs.stopCodeServer(s.server);
  }
  if (failed > 0) {
    if (s.server) console.log(`  --- code-server log (tail) ---\n${s.server.log().slice(-1500)}`);
    console.log(`  run folder kept for inspection: ${s.runDir}`);
  } else {
    cs.removeRunDir(s.runDir);
  }
  const note = `${notRun ? `${notRun} not run, ` : ''}code-server ${toolchain.pinnedVersions().codeServer} + chromium, ${seconds(Date.now() - t0)}; screenshots in ${path.relative(toolchain.ROOT, SHOTS)}/`;
  console.log(summaryLine(LABEL, passed, failed, note));
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => { process.exitCode = code; },
  (e) => {
    console.error(`${LABEL}: error: ${(e && e.message) || e}`);
    console.log(summaryLine(LABEL, 0, 1, 'the harness could not run'));
    process.exitCode = 1;
  },
);
