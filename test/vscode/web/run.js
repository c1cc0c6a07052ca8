#!/usr/bin/env node
// The browser build (package.json "browser": dist/web/extension.js) in VS Code's web-worker extension
// host, as VS Code for the Web runs it. code-server serves the real workbench; the extension is loaded
// from a copy of the package whose manifest has no "main" (only "browser"), installed from a .vsix, so
// the workbench can only run it in the browser. Then a person's steps: select text, run Inspect Selection
// from the palette, read the panel; open an example; click a tensor file in the sidebar.
//
//   node test/vscode/web/run.js          (npm run test:web)
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const { spawnSync } = require('child_process');
const path = require('path');
const toolchain = require('../lib/toolchain');
const cs = require('../lib/codeServer');
const wb = require('../lib/workbench');
const panel = require('../lib/panel');
const { summaryLine, seconds, runHarness } = require('../lib/report');

const LABEL = 'vscode web';
const WAIT_MS = Number(process.env.E2E_TIMEOUT_MS || 30000);
const SHOTS = path.join(toolchain.RESULTS_DIR, 'vscode-web');

/** A copy of the packaged files with a web-only manifest. */
function webOnlyExtension() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-web-ext-'));
  const manifest = toolchain.manifest();
  delete manifest.main;
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  for (const item of [
    'package.nls.json',
    'README.md',
    'LICENSE',
    'CHANGELOG.md',
    'l10n',
    'media',
    'examples',
    'dist/web',
    'dist/webview.js',
    'dist/webview.css',
  ]) {
    fs.cpSync(path.join(toolchain.ROOT, item), path.join(dir, item), { recursive: true });
  }
  assert.ok(!fs.existsSync(path.join(dir, 'dist', 'extension.js')), 'no node entry in the web copy');
  return dir;
}

/** Packs the web-only copy into a .vsix (what a web marketplace would serve). */
function packageWebVsix(dir, runDir) {
  const vsix = path.join(runDir, 'attention-inspector-web.vsix');
  const vsce = path.join(toolchain.ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
  const r = spawnSync(
    process.execPath,
    [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '-o', vsix],
    { cwd: dir, encoding: 'utf8', timeout: 120000 },
  );
  if (r.status !== 0) throw new Error(`vsce package failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  return vsix;
}

async function expectTokens(page, tokens) {
  const frame = await panel.waitPanelReady(page, WAIT_MS);
  assert.deepStrictEqual(await panel.rowTokens(frame), tokens);
  const { cells } = await panel.heatmapPixels(frame);
  const colours = new Set(cells.map((c) => c.slice(0, 3).join(',')));
  assert.ok(colours.size >= Math.min(3, cells.length), `the heatmap is painted (${colours.size} colours)`);
  return `tokens ${JSON.stringify(tokens)}, ${colours.size} colours`;
}

async function closeAll(page) {
  await wb.runPaletteCommand(page, 'View: Close All Editor Groups');
  await page.locator('iframe.webview').first().waitFor({ state: 'detached', timeout: WAIT_MS });
}

const STEPS = [
  [
    'the extension runs in the web worker extension host',
    async (s) => {
      await wb.waitWorkbench(s.page, 'sample.txt');
      // The contributions are registered once the extension is known: its activity-bar icon shows.
      await s.page
        .locator('.part.activitybar .action-label[aria-label^="Attention"]')
        .first()
        .waitFor({ timeout: WAIT_MS });
      await wb.runPaletteCommand(s.page, 'Attention Inspector: Open Example');
      await wb.pickQuickItem(s.page, 'I go home');
      const detail = await expectTokens(s.page, ['I', 'go', 'home']);
      const logs = cs.logFiles(s.runDir, /\.log$/).map((f) => [f, fs.readFileSync(f, 'utf8')]);
      // The node host may list every installed extension in its inventory line ("Creating extension host
      // with the following global extensions: ..."); only an activation line means it ran there.
      const activatedInNode = logs.filter(
        ([f, t]) => /remoteexthost/.test(f) && /_doActivateExtension attention-inspector\./.test(t),
      );
      assert.deepStrictEqual(
        activatedInNode.map(([f]) => f),
        [],
        'not activated in the node extension host',
      );
      return detail;
    },
  ],
  [
    'Inspect Selection from the palette',
    async (s) => {
      await closeAll(s.page);
      await wb.openFile(s.page, 'sample.txt');
      await wb.selectLines(s.page, 0);
      await wb.waitSelectionStatus(s.page, /\(22 selected\)/);
      await wb.runPaletteCommand(s.page, 'Attention Inspector: Inspect Selection');
      return expectTokens(s.page, ['the', 'cat', 'sat', 'on', 'the', 'mat']);
    },
  ],
  [
    'a tensor file from the sidebar, read through the workspace file system',
    async (s) => {
      await closeAll(s.page);
      await wb.openActivityBarView(s.page, 'Attention');
      const row = wb.sidebarRow(s.page, 'model.safetensors', 'Workspace Tensor Files');
      await row.waitFor({ timeout: WAIT_MS });
      await row.click();
      return expectTokens(s.page, ['The', 'cat', 'sat', '.']);
    },
  ],
];

async function main() {
  const t0 = Date.now();
  toolchain.ensureBuilt();
  toolchain.ensureToolchain();
  fs.mkdirSync(SHOTS, { recursive: true });
  const extDir = webOnlyExtension();
  const s = { runDir: cs.makeRunDir('ai-vscode-web') };
  let passed = 0,
    failed = 0;
  try {
    // Installed, as a user installs it: a dev extension path is only ever run by the node host here.
    cs.installVsix(s.runDir, packageWebVsix(extDir, s.runDir));
    s.server = await cs.startCodeServer({ runDir: s.runDir, folder: toolchain.WORKSPACE });
    s.browser = await wb.launchBrowser(path.join(s.runDir, 'xdg'));
    s.page = await s.browser.newPage({ viewport: { width: 1280, height: 800 } });
    s.console = [];
    s.page.on('response', (r) => {
      if (r.status() >= 400) s.console.push(`HTTP ${r.status()} ${r.url()}`);
    });
    s.page.on('console', (m) => {
      if (process.env.VSCODE_VERBOSE) s.console.push(m.text().slice(0, 400));
    });
    await s.page.goto(wb.workbenchUrl(s.server, toolchain.WORKSPACE));
    for (const [title, step] of STEPS) {
      if (failed) {
        console.log(`  - ${title} (not run)`);
        continue;
      }
      const ts = Date.now();
      try {
        const detail = await step(s);
        passed++;
        console.log(`  ✓ ${title} (${seconds(Date.now() - ts)})${detail ? `: ${detail}` : ''}`);
      } catch (e) {
        failed++;
        console.log(`  ✗ ${title} (${seconds(Date.now() - ts)})`);
        for (const l of String((e && e.message) || e)
          .split('\n')
          .slice(0, 15))
          console.log(`      ${l}`);
        await s.page.screenshot({ path: path.join(SHOTS, `fail-${passed + failed}.png`) }).catch(() => {});
      }
    }
  } finally {
    if (s.browser) await s.browser.close().catch(() => {});
    await cs.stopCodeServer(s.server);
    fs.rmSync(extDir, { recursive: true, force: true });
  }
  if (failed && process.env.VSCODE_VERBOSE) console.log(s.console.join('\n'));
  if (failed) console.log(`  run folder kept for inspection: ${s.runDir}`);
  else cs.removeRunDir(s.runDir);
  console.log(
    summaryLine(
      LABEL,
      passed,
      failed,
      `web worker extension host in code-server ${toolchain.pinnedVersions().codeServer}, ${seconds(Date.now() - t0)}`,
    ),
  );
  return failed ? 1 : 0;
}

runHarness(LABEL, main);
