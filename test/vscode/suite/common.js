// What the in-host suites share: the test build's debug state, waiting for it, and closing every
// editor between tests. Not a test file (index.js loads *.test.js only).
const path = require('path');
const vscode = require('vscode');

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** The test build's `attentionInspector.debug.state` (src/vscode/debugState.ts). */
const state = () => vscode.commands.executeCommand('attentionInspector.debug.state');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 50 ms until it gives a truthy value, which it returns. */
async function waitFor(what, check, timeoutMs = 10000) {
  const t0 = Date.now();
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Closes every editor and waits until no inspector panel is alive. */
async function closeAll() {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  await waitFor('every panel closed', async () => (await state()).livePanels === 0);
}

function workspaceUri(name) {
  return vscode.Uri.joinPath(vscode.workspace.workspaceFolders[0].uri, ...name.split('/'));
}

module.exports = { ROOT, state, sleep, waitFor, closeAll, workspaceUri };
