// Issue 16, the panel as people use it: one panel per input, one column for panels, the reuseActive
// setting, and the custom editor as the default editor of tensor files.
/* global suite, test, setup, teardown */
const assert = require('assert');
const vscode = require('vscode');

const { state, sleep, waitFor, workspaceUri, closeAll: closeEveryPanel } = require('./common');
const example = (id) => vscode.commands.executeCommand('attentionInspector.openExample', id);

async function showSample() {
  const doc = await vscode.workspace.openTextDocument(workspaceUri('sample.txt'));
  return vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
}

async function closeAll() {
  await closeEveryPanel();
  await waitFor('one editor group left', async () => vscode.window.tabGroups.all.length === 1);
}

/** Editor groups (columns) that hold an inspector panel. */
function panelColumns() {
  return vscode.window.tabGroups.all
    .filter((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputWebview))
    .map((g) => g.viewColumn);
}

async function withReuseActive(value, run) {
  const config = vscode.workspace.getConfiguration('attentionInspector');
  const before = config.inspect('panel.reuseActive').globalValue;
  await config.update('panel.reuseActive', value, vscode.ConfigurationTarget.Global);
  try {
    return await run();
  } finally {
    await config.update('panel.reuseActive', before, vscode.ConfigurationTarget.Global);
  }
}

suite('one panel per input', () => {
  setup(closeAll);
  teardown(closeAll);

  test('3 example clicks (one a repeat) give 2 panels in one column beside the editor', async () => {
    await showSample();
    const first = await example('i-go-home');
    const second = await example('causal');
    const again = await example('i-go-home');
    assert.strictEqual(again.id, first.id, 'the repeat reveals the panel already open');
    assert.notStrictEqual(second.id, first.id);
    assert.deepStrictEqual(again.tokens, first.tokens);
    const s = await state();
    assert.strictEqual(s.livePanels, 2);
    assert.strictEqual(s.panels.find((p) => p.active).id, first.id, 'the revealed panel is the active one');
    assert.deepStrictEqual(panelColumns(), [vscode.ViewColumn.Two], 'both panels share the column beside the editor');
    assert.strictEqual(vscode.window.tabGroups.all.length, 2, 'editor + one panel column');
  });

  test('after the panels column is closed, the next panel opens beside again (no empty column left behind)', async () => {
    await showSample();
    await example('i-go-home');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitFor('every panel closed', async () => (await state()).livePanels === 0);
    await showSample();
    await example('causal');
    assert.strictEqual(vscode.window.tabGroups.all.length, 2);
    assert.strictEqual(panelColumns().length, 1);
  });

  test('inspecting the same selection of the same document twice reveals one panel', async () => {
    let editor = await showSample();
    editor.selection = new vscode.Selection(0, 0, 0, 22);
    const first = await vscode.commands.executeCommand('attentionInspector.inspectSelection');
    await waitFor('the first heatmap', async () =>
      (await state()).panels.find((p) => p.id === first.id && p.firstDraw),
    );
    const loads = async () => (await state()).panelsDetail.find((p) => p.id === first.id).pageLoads;
    const loadsBefore = await loads();
    editor = await showSample();
    editor.selection = new vscode.Selection(0, 0, 0, 22);
    const revealing = Date.now();
    const second = await vscode.commands.executeCommand('attentionInspector.inspectSelection');
    console.log(`      revealing the open panel took ${Date.now() - revealing} ms`);
    assert.strictEqual(second.id, first.id);
    assert.strictEqual((await state()).livePanels, 1);
    await sleep(300);
    assert.strictEqual(await loads(), loadsBefore, 'revealed without a page load');
    editor = await showSample();
    // Another selection (a different text) is another input.
    editor.selection = new vscode.Selection(0, 0, 0, 11);
    const other = await vscode.commands.executeCommand('attentionInspector.inspectSelection');
    assert.notStrictEqual(other.id, first.id);
    assert.deepStrictEqual(other.tokens, ['the', 'cat', 'sat']);
    assert.strictEqual((await state()).livePanels, 2);
  });

  test("panel.reuseActive: a new input replaces the active panel's content", async () => {
    await withReuseActive(true, async () => {
      await showSample();
      const first = await example('i-go-home');
      const second = await example('causal');
      assert.notStrictEqual(second.id, first.id);
      const s = await state();
      assert.strictEqual(s.livePanels, 1, 'one panel, now showing the second input');
      assert.strictEqual(s.panels[0].id, second.id);
      assert.deepStrictEqual(
        await waitFor('the replaced panel overview', async () => (await state()).panels[0].tokens),
        second.tokens,
      );
      assert.strictEqual(vscode.window.tabGroups.all.length, 2);
      const webviewTabs = vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .filter((t) => t.input instanceof vscode.TabInputWebview);
      assert.strictEqual(webviewTabs.length, 1);
      assert.match(webviewTabs[0].label, new RegExp(second.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    });
  });
});

suite('the custom editor is the default for tensor files', () => {
  setup(closeAll);
  teardown(closeAll);

  test('vscode.open on a .npy lands in the inspector; Reopen With the text editor still works', async () => {
    const uri = workspaceUri('tensors/broken.npy');
    await vscode.commands.executeCommand('vscode.open', uri);
    const tab = await waitFor('the custom editor tab', async () => {
      const t = vscode.window.tabGroups.activeTabGroup.activeTab;
      return t && t.input instanceof vscode.TabInputCustom ? t : undefined;
    });
    assert.strictEqual(tab.input.viewType, 'attentionInspector.tensorFile');
    assert.strictEqual(tab.input.uri.toString(), uri.toString());
    await waitFor('its panel', async () => (await state()).livePanels === 1);
    await vscode.commands.executeCommand('vscode.openWith', uri, 'default');
    await waitFor(
      'the text editor tab',
      async () => vscode.window.tabGroups.activeTabGroup.activeTab?.input instanceof vscode.TabInputText,
    );
  });

  test('.bin is only offered (Open With), not the default', async () => {
    const ext = vscode.extensions.all.find(
      (e) =>
        e.packageJSON.contributes &&
        e.packageJSON.contributes.customEditors &&
        e.packageJSON.name === 'attention-inspector',
    );
    const editors = ext.packageJSON.contributes.customEditors;
    const byPattern = {};
    for (const e of editors) for (const s of e.selector) byPattern[s.filenamePattern] = e.priority;
    assert.deepStrictEqual(byPattern, {
      '*.npy': 'default',
      '*.npz': 'default',
      '*.safetensors': 'default',
      '*.pt': 'default',
      '*.pth': 'default',
      '*.bin': 'option',
    });
  });
});
