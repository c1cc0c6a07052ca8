#!/usr/bin/env node
// Real models in the real workbench (issue 14), as a user meets them: the .vsix installed into
// code-server with a Hugging Face cache (HF_HUB_CACHE) holding two tiny generated models in the exact
// hub layout (a GPT-2 and a grouped-query Llama) and one the extension cannot run, then:
//   - with no model chosen the status bar says "seeded random model" and a selection's panel says so;
//   - Choose Model… lists the cached models (the unsupported one marked), and picking the Llama sets it;
//   - the status bar names the model;
//   - "Inspect Attention of Selection" from the editor context menu opens the model's panel, whose rows
//     are the model's own subword tokens (BOS included), checked against @huggingface/tokenizers;
//   - the Heads tab has layers × heads tiles, grouped by the key/value head they share, and sorts by
//     the catalogue's figures (README pictures of both);
//   - Reload Window restores the panel with the same model and tokens.
//
//   node test/vscode/e2e/models.js        (VSCODE_OFFLINE=/work/offline)
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const toolchain = require('../lib/toolchain');
const cs = require('../lib/codeServer');
const wb = require('../lib/workbench');
const panel = require('../lib/panel');
const { summaryLine, seconds, runHarness } = require('../lib/report');
const { runSteps } = require('../lib/steps');

const LABEL = 'vscode models';
const WAIT_MS = Number(process.env.E2E_TIMEOUT_MS || 30000);
/** A model load and forward pass in the extension host: slower than the panel's other waits. */
const MODEL_WAIT_MS = Math.max(WAIT_MS, 60000);
const STEP_MS = Number(process.env.E2E_STEP_MS || 120000);
const VIEWPORT = { width: 1280, height: 800 };
const SHOTS = path.join(toolchain.RESULTS_DIR, 'vscode-e2e-models');
const README_SHOTS = path.join(toolchain.ROOT, 'media', 'screenshots');
const SAMPLE = 'sample.txt';
/** The GPT-2-small-shaped bench model (bench/make_bench_models.py), timed when present. */
const BIG_MODEL = path.join(
  process.env.ATTENTION_BENCH_MODELS ||
    path.join(require('os').homedir(), '.cache', 'attention-inspector', 'bench-models'),
  'gpt2-small',
);
const TEXT = 'the cat sat on the mat'; // sample.txt's first line
const titles = toolchain.commandTitles;
const CHOOSE_MODEL = titles('attentionInspector.chooseModel').palette;
const INSPECT_SELECTION = titles('attentionInspector.inspectSelection').palette;
const SELECTION_MENU = titles('attentionInspector.inspectSelectionFromMenu').menu;

/** The tiny models the unit run writes (test/models/make_tiny_models.py through torchReference.ts). */
function tinyModels() {
  const base = path.join(toolchain.ROOT, 'test-results', 'tiny-models');
  const complete = (fs.existsSync(base) ? fs.readdirSync(base) : [])
    .filter((d) => !d.startsWith('.'))
    .map((d) => path.join(base, d))
    .filter((d) => fs.existsSync(path.join(d, 'llama-tiny', 'config.json')))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  if (complete.length) return complete[0];
  // Not written yet (this file run alone): the generator, as the unit run would call it.
  const { spawnSync } = require('child_process');
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '-e', "const t = require('./test/helpers/torchReference.ts'); console.log(t.tinyModelsDir());"],
    { cwd: toolchain.ROOT, encoding: 'utf8', timeout: 180000 },
  );
  if (r.status !== 0) throw new Error(`could not generate the tiny models: ${r.stderr || r.error}`);
  return r.stdout.trim().split('\n').pop();
}

/** A Hugging Face hub cache: models--ORG--NAME/{refs/main, snapshots/REV/…} for each model. */
function fakeHub(dir, models) {
  for (const { id, from, edit, link } of models) {
    const repo = path.join(dir, `models--${id.replace('/', '--')}`);
    const snap = path.join(repo, 'snapshots', 'e2e0rev');
    fs.mkdirSync(snap, { recursive: true });
    fs.mkdirSync(path.join(repo, 'refs'), { recursive: true });
    fs.writeFileSync(path.join(repo, 'refs', 'main'), 'e2e0rev');
    for (const f of fs.readdirSync(from)) {
      if (link) fs.symlinkSync(path.join(from, f), path.join(snap, f));
      else fs.copyFileSync(path.join(from, f), path.join(snap, f));
    }
    if (edit) edit(snap);
  }
  return dir;
}

/** What the model's tokenizer makes of TEXT, read with the library directly: one label per token. */
function expectedTokens(modelDir) {
  const { Tokenizer } = require('@huggingface/tokenizers');
  const read = (f) => JSON.parse(fs.readFileSync(path.join(modelDir, f), 'utf8'));
  const tokenizer = new Tokenizer(read('tokenizer.json'), read('tokenizer_config.json'));
  const { ids, tokens } = tokenizer.encode(TEXT);
  return { pieces: tokens, labels: ids.map((id) => tokenizer.decode([id]).trim()) };
}

/** The status-bar item naming the active model (modelStatus.ts), once it reads `pattern`. */
async function statusBarModel(page, pattern) {
  const item = page.locator('.statusbar-item', { hasText: pattern }).first();
  await item.waitFor({ timeout: WAIT_MS });
  return (await item.innerText()).trim();
}

async function selectFirstLine(page) {
  await wb.showExplorer(page);
  await wb.sidebarRow(page, SAMPLE).click();
  await page.locator('.tabs-container .tab.active', { hasText: SAMPLE }).waitFor();
  await wb.selectLines(page, 0, 0);
  await wb.waitSelectionStatus(page, /selected/);
}

async function closeAllEditors(page) {
  await wb.runPaletteCommand(page, 'View: Close All Editor Groups');
  await page.locator('iframe.webview').first().waitFor({ state: 'detached', timeout: WAIT_MS });
}

async function shot(page, name) {
  fs.mkdirSync(README_SHOTS, { recursive: true });
  const file = path.join(README_SHOTS, name);
  await page.mouse.move(VIEWPORT.width - 2, VIEWPORT.height - 2);
  await page.waitForTimeout(300);
  await page.screenshot({ path: file });
  return `${path.relative(toolchain.ROOT, file)} ${(fs.statSync(file).size / 1024).toFixed(0)} KB`;
}

/** A panel row label without its marks: ⟨special⟩ → special, ·word (a leading space) → word. */
const plainLabel = (t) => t.replace(/^⟨(.*)⟩$/, '$1').replace(/^·/, '');

/** The model panel's row labels, trimmed (the panel shows each token's text; the library decodes ids). */
async function panelTokens(page) {
  const frame = await panel.waitPanelReady(page, MODEL_WAIT_MS);
  return { frame, tokens: (await panel.rowTokens(frame)).map((t) => t.trim()) };
}

const STEPS = [
  [
    'with no model chosen: the status bar says "seeded random model" and the panel says so',
    async (s) => {
      assert.match(await statusBarModel(s.page, /seeded random model/), /seeded random model/);
      await selectFirstLine(s.page);
      await wb.runPaletteCommand(s.page, INSPECT_SELECTION);
      const frame = await panel.waitPanelReady(s.page, WAIT_MS);
      const notice = (await frame.locator('body').innerText()).match(/seeded random model[^\n]*/i);
      assert.ok(notice, 'the panel names the seeded random model');
      const tokens = await panel.rowTokens(frame);
      assert.deepStrictEqual(tokens, TEXT.split(' '), 'the seeded model splits words');
      await closeAllEditors(s.page);
      return `notice “${notice[0].slice(0, 80)}”; tokens ${JSON.stringify(tokens)}`;
    },
  ],
  [
    `"${CHOOSE_MODEL}" lists the cached models (the unsupported one marked) and picking tiny/llama sets it`,
    async (s) => {
      const { row } = await wb.paletteRow(s.page, CHOOSE_MODEL);
      await row.click();
      const rows = s.page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
      await rows.filter({ hasText: 'tiny/llama' }).first().waitFor({ timeout: WAIT_MS });
      const listed = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
      const line = (id) => listed.find((t) => t.includes(id)) || '';
      assert.match(
        line('tiny/gpt2'),
        /GPT2LMHeadModel/,
        `tiny/gpt2 listed with its architecture: ${listed.join(' | ')}`,
      );
      assert.match(line('tiny/llama'), /LlamaForCausalLM/, 'tiny/llama listed with its architecture');
      assert.match(line('tiny/unknown'), /unsupported/, 'the unknown architecture is marked unsupported');
      await s.page.screenshot({ path: path.join(SHOTS, 'choose-model.png') });
      await wb.pickQuickItem(s.page, 'tiny/llama');
      await s.page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: WAIT_MS });
      return listed.filter((t) => t.includes('tiny/')).join(' | ');
    },
  ],
  [
    'the status bar names the chosen model',
    async (s) => {
      const text = await statusBarModel(s.page, /llama/);
      assert.ok(!/seeded/.test(text), `status bar: "${text}"`);
      return `“${text}”`;
    },
  ],
  [
    `"${SELECTION_MENU}" from the context menu runs the model: its rows are the model's subword tokens`,
    async (s) => {
      await selectFirstLine(s.page);
      const labels = await wb.openEditorContextMenu(s.page);
      assert.ok(labels.includes(SELECTION_MENU), `context menu: ${labels.join(' | ')}`);
      const t0 = Date.now();
      await wb.clickContextMenuItem(s.page, SELECTION_MENU);
      await panel.waitPanelReady(s.page, MODEL_WAIT_MS);
      s.firstHeatmapMs = Date.now() - t0; // menu click → the panel's first heatmap drawn (data-ready)
      const { frame, tokens } = await panelTokens(s.page);
      s.tokens = tokens;
      // The panel marks special tokens ⟨<s>⟩ and a token's leading space ·; the library's decode has neither.
      assert.deepStrictEqual(
        tokens.map(plainLabel),
        s.expected.labels,
        `the model's tokens (${JSON.stringify(s.expected.pieces)}), shown as ${JSON.stringify(tokens)}`,
      );
      assert.strictEqual(tokens[0], '⟨<s>⟩', 'the BOS token is shown as a special token');
      assert.ok(tokens.length > TEXT.split(' ').length, 'subwords, not words');
      const tab = (await wb.editorTabs(s.page)).find((t) => t.startsWith('llama') || /llama/.test(t));
      assert.ok(tab, `the panel's title names the model: ${(await wb.editorTabs(s.page)).join(' | ')}`);
      const body = await frame.locator('body').innerText();
      assert.ok(!/seeded random model: pick/i.test(body), 'no seeded-model notice on a real model');
      // Hovering a subword's row marks exactly its characters in the editor: row 3 is “at” of “cat”.
      const sub = tokens.indexOf('at');
      const from = TEXT.indexOf('cat') + 1;
      const canvas = frame.locator('[data-matrix=weights] canvas').first();
      const g = await panel.heatmapGeometry(canvas);
      await canvas.hover({ position: panel.cellPosition(g, sub, sub), force: true });
      const editor = s.page.locator('.editor-instance .monaco-editor').first();
      const mark = editor.locator('.view-overlays .cdr[class*="ced-"]').first();
      await mark.waitFor({ timeout: WAIT_MS });
      const line = editor.locator('.view-line', { hasText: TEXT }).first();
      const chars = await line.evaluate((el, text) => {
        const span = el.querySelector('span');
        const box = span.getBoundingClientRect();
        return { left: box.left, width: box.width / text.length };
      }, TEXT);
      const box = await mark.boundingBox();
      const start = Math.round((box.x - chars.left) / chars.width);
      const length = Math.round(box.width / chars.width);
      assert.deepStrictEqual(
        [start, length],
        [from, 2],
        `hovering row ${sub} marks characters ${from}–${from + 2} (“at”) in the editor`,
      );
      return `tokens ${JSON.stringify(tokens)}; hovering “at” marks characters ${start}–${start + length}; tab “${tab}”; context menu → first heatmap ${s.firstHeatmapMs} ms (load, forward pass, page)`;
    },
  ],
  [
    'the Heads tab has layers × heads tiles grouped by key/value head, and sorts by a catalogue figure (README pictures)',
    async (s) => {
      const frame = panel.panelFrame(s.page);
      await panel.showTab(frame, 'heads', WAIT_MS);
      const tiles = frame.locator('.heads-grid .head-tile:not(.mean)');
      await tiles.first().waitFor({ timeout: MODEL_WAIT_MS });
      const count = await tiles.count();
      assert.strictEqual(count, s.config.num_hidden_layers * s.config.num_attention_heads, 'layers × heads tiles');
      const groups = await frame.locator('.heads-grid .kv-label').allInnerTexts();
      const perLayer = s.config.num_key_value_heads;
      const size = s.config.num_attention_heads / perLayer;
      assert.strictEqual(groups.length, s.config.num_hidden_layers * perLayer, `kv groups: ${groups.join(' | ')}`);
      assert.strictEqual(groups[0].trim(), `kv 0: heads 0–${size - 1}`);
      const tip = await tiles.first().getAttribute('title');
      assert.match(tip, /kv head 0/, `a tile's tooltip names its key/value head: ${tip}`);
      await frame.locator('.view-heads .control-row').scrollIntoViewIfNeeded();
      await frame.locator('.view-heads .control-row').evaluate((el) => el.scrollIntoView({ block: 'start' }));
      const grid = await shot(s.page, 'panel-model-heads.png');
      // Sort by the previous-token score: the tiles carry their rank and the figure.
      const select = frame.locator('.view-heads vscode-single-select');
      await select.evaluate((el) => {
        el.value = 'previousToken';
        el.dispatchEvent(new el.ownerDocument.defaultView.Event('change', { bubbles: true }));
      });
      await frame.locator('.heads-grid .head-tile .rank').first().waitFor({ timeout: WAIT_MS });
      const ranked = (await frame.locator('.heads-grid .head-tile').allInnerTexts()).map((t) =>
        t.replace(/\s+/g, ' ').trim(),
      );
      const figures = ranked.map((t) => Number((/prev (-?[0-9.]+)/.exec(t) || [])[1]));
      assert.ok(
        figures.every((f) => Number.isFinite(f)),
        `every ranked tile shows its previous-token score: ${ranked.join(' | ')}`,
      );
      for (let i = 1; i < figures.length; i++)
        assert.ok(figures[i] <= figures[i - 1] + 1e-9, `sorted highest first: ${figures.join(', ')}`);
      const sorted = await shot(s.page, 'panel-model-catalogue.png');
      return `${count} tiles, groups ${groups.slice(0, perLayer).join('; ')}; prev ${figures.slice(0, 4).join(', ')}…; ${grid}; ${sorted}`;
    },
  ],
  [
    'command → first heatmap with a GPT-2-small-shaped model (the bench model, when this machine has it)',
    async (s) => {
      if (!s.bigModel) return `skipped: no ${BIG_MODEL} (node bench/models.mjs writes it)`;
      await wb.runPaletteCommand(s.page, 'View: Close All Editor Groups');
      const { row } = await wb.paletteRow(s.page, CHOOSE_MODEL);
      await row.click();
      await wb.pickQuickItem(s.page, 'bench/gpt2-small');
      await statusBarModel(s.page, /gpt2-small/);
      const times = [];
      for (let run = 0; run < 2; run++) {
        await selectFirstLine(s.page);
        const t0 = Date.now();
        await wb.runPaletteCommand(s.page, INSPECT_SELECTION);
        await panel.waitPanelReady(s.page, MODEL_WAIT_MS);
        times.push(Date.now() - t0);
        await closeAllEditors(s.page);
      }
      // Back to the tiny model for the reload step.
      const again = await wb.paletteRow(s.page, CHOOSE_MODEL);
      await again.row.click();
      await wb.pickQuickItem(s.page, 'tiny/llama');
      await statusBarModel(s.page, /llama/);
      await selectFirstLine(s.page);
      await wb.runPaletteCommand(s.page, INSPECT_SELECTION);
      await panel.waitPanelReady(s.page, MODEL_WAIT_MS);
      return `GPT-2 small shape (12 layers × 12 heads, 477 MB F32), "${TEXT}": first ${times[0]} ms (worker start and model load), then ${times[1]} ms (model kept loaded)`;
    },
  ],
  [
    'Reload Window restores the panel with the same model and tokens',
    async (s) => {
      await wb.reloadWindow(s.page, 90000);
      const { tokens } = await panelTokens(s.page);
      assert.deepStrictEqual(tokens, s.tokens, 'the restored panel has the model tokens');
      assert.match(await statusBarModel(s.page, /llama/), /llama/, 'the status bar still names the model');
      return `tokens ${JSON.stringify(tokens)}`;
    },
  ],
];

async function main() {
  const t0 = Date.now();
  toolchain.ensureBuilt({ testHooks: false });
  toolchain.ensureToolchain();
  fs.rmSync(SHOTS, { recursive: true, force: true });
  fs.mkdirSync(SHOTS, { recursive: true });
  const tiny = tinyModels();
  const runDir = cs.makeRunDir('ai-vscode-models');
  const hub = fakeHub(path.join(runDir, 'hub'), [
    { id: 'tiny/gpt2', from: path.join(tiny, 'gpt2-tiny') },
    { id: 'tiny/llama', from: path.join(tiny, 'llama-tiny') },
    {
      id: 'tiny/unknown',
      from: path.join(tiny, 'gpt2-tiny'),
      edit: (dir) => {
        const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
        config.architectures = ['MysteryForCausalLM'];
        config.model_type = 'mystery';
        fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
      },
    },
  ]);
  const bigModel = fs.existsSync(path.join(BIG_MODEL, 'tokenizer.json')) ? BIG_MODEL : null;
  if (bigModel) fakeHub(hub, [{ id: 'bench/gpt2-small', from: bigModel, link: true }]);
  const s = {
    bigModel,
    runDir,
    expected: expectedTokens(path.join(tiny, 'llama-tiny')),
    config: JSON.parse(fs.readFileSync(path.join(tiny, 'llama-tiny', 'config.json'), 'utf8')),
  };
  let passed = 0,
    failed = 0,
    notRun = 0;
  try {
    s.vsix = toolchain.packageVsix(runDir, { timeoutMs: 180000 });
    cs.installVsix(runDir, s.vsix);
    [s.server, s.browser] = await Promise.all([
      cs.startCodeServer({ runDir, folder: toolchain.WORKSPACE, env: { HF_HUB_CACHE: hub } }),
      wb.launchBrowser(path.join(runDir, 'xdg')),
    ]);
    s.page = await s.browser.newPage({ viewport: VIEWPORT, deviceScaleFactor: 1 });
    s.page.setDefaultTimeout(WAIT_MS);
    await s.page.goto(wb.workbenchUrl(s.server, toolchain.WORKSPACE), { timeout: 60000 });
    await wb.waitWorkbench(s.page, SAMPLE);
    ({ passed, failed, notRun } = await runSteps(STEPS, s, {
      stepMs: STEP_MS,
      passShot: (index) => path.join(SHOTS, `${String(index).padStart(2, '0')}.png`),
      failShot: (index) => path.join(SHOTS, `fail-${index}.png`),
    }));
  } catch (e) {
    failed++;
    console.log(`  ✗ the models run stopped: ${(e && e.message) || e}`);
  } finally {
    if (s.browser) await s.browser.close().catch(() => {});
    await cs.stopCodeServer(s.server);
    if (failed === 0) cs.removeRunDir(runDir);
    else console.log(`  run folder kept for inspection: ${runDir}`);
  }
  const note = `${notRun ? `${notRun} not run, ` : ''}code-server + chromium, ${seconds(Date.now() - t0)}; screenshots in ${path.relative(toolchain.ROOT, SHOTS)}/`;
  console.log(summaryLine(LABEL, passed, failed, note));
  return failed > 0 ? 1 : 0;
}

runHarness(LABEL, main);
