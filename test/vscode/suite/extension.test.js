// Runs inside a real extension host (code-server or desktop VS Code) against the built dist/extension.js.
/* global suite, test, suiteSetup */
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const vscode = require('vscode');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const EXTENSION_ID = `${manifest.publisher}.${manifest.name}`;
const INSPECT = 'attentionInspector.inspectSelection';

/** Opens a file of the test workspace in an editor. */
async function openWorkspaceFile(name) {
  const folder = vscode.workspace.workspaceFolders[0].uri;
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder, name));
  return vscode.window.showTextDocument(doc);
}

suite('extension host', () => {
  suiteSetup(async () => {
    assert.ok(vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders.length === 1,
      'the runner opens test/vscode/workspace as the only folder');
  });

  test('the extension is installed from this repository', () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is present`);
    assert.strictEqual(ext.packageJSON.version, manifest.version);
  });

  test('it activates without throwing', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    await ext.activate();
    assert.strictEqual(ext.isActive, true);
  });

  test('every contributed command is registered', async () => {
    await vscode.extensions.getExtension(EXTENSION_ID).activate();
    const registered = new Set(await vscode.commands.getCommands(true));
    const contributed = (manifest.contributes.commands || []).map((c) => c.command);
    assert.ok(contributed.includes(INSPECT), `package.json contributes ${INSPECT}`);
    assert.deepStrictEqual(contributed.filter((c) => !registered.has(c)), []);
  });
});

suite('inspect selection command', () => {
  test('returns the tokens of a one-line selection', async () => {
    const editor = await openWorkspaceFile('sample.txt');
    // Line 0 is "the cat sat on the mat": plain words, so any word tokenizer agrees with this.
    editor.selection = new vscode.Selection(0, 0, 0, 22);
    assert.strictEqual(editor.document.getText(editor.selection), 'the cat sat on the mat');
    const tokens = await vscode.commands.executeCommand(INSPECT);
    assert.deepStrictEqual(tokens, ['the', 'cat', 'sat', 'on', 'the', 'mat']);
  });

  test('returns the tokens of a selection spanning lines, from the middle of a line', async () => {
    const editor = await openWorkspaceFile('sample.txt');
    // From "every other token" (line 1, col 35) to "softmax turns" (line 2, col 13).
    editor.selection = new vscode.Selection(1, 35, 2, 13);
    assert.strictEqual(editor.document.getText(editor.selection), 'every other token\nsoftmax turns');
    const tokens = await vscode.commands.executeCommand(INSPECT);
    assert.deepStrictEqual(tokens, ['every', 'other', 'token', 'softmax', 'turns']);
  });
});
