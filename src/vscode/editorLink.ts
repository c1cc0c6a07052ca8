// The link between a panel and the text it inspects: a query row hovered or locked in the heatmap
// highlights its token in the editor, and the editor cursor on a token highlights its row. Only
// while the document is unchanged since the inspection (offsets would point at other text after an edit).
import * as vscode from 'vscode';
import type { InspectorPanel } from './inspectorPanel';
import type { PanelManager } from './panels';

export class EditorLink implements vscode.Disposable {
  private readonly decoration = vscode.window.createTextEditorDecorationType({
    backgroundColor: new vscode.ThemeColor('editor.findMatchHighlightBackground'),
    borderColor: new vscode.ThemeColor('editor.findMatchBorder'),
    borderStyle: 'solid',
    borderWidth: '1px',
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });
  private readonly subscriptions: vscode.Disposable[] = [];
  /** The token range last highlighted, per document (tests read it through the debug command). */
  highlighted: { uri: string; start: number; end: number } | null = null;

  constructor(private readonly panels: PanelManager) {
    this.subscriptions.push(
      panels.onDidFocusToken(({ panel, index, hover }) => this.highlight(panel, index, hover)),
      vscode.window.onDidChangeTextEditorSelection((e) => this.onCursor(e)),
    );
  }

  /** Document URI, start offset and version of a panel's text, when it came from an editor. */
  private origin(panel: InspectorPanel): { uri: string; offset: number; version?: number } | null {
    const input = panel.record.input;
    return input.kind === 'text' && input.document ? input.document : null;
  }

  private editorFor(uri: string, version?: number): vscode.TextEditor | undefined {
    return vscode.window.visibleTextEditors.find(
      (e) => e.document.uri.toString() === uri && (version === undefined || e.document.version === version),
    );
  }

  /** `hover`: the row is only hovered, so the editor is not scrolled to it. */
  highlight(panel: InspectorPanel, index: number | null, hover = false): void {
    const origin = this.origin(panel);
    const offsets = panel.offsets;
    if (!origin || !offsets) return;
    const editor = this.editorFor(origin.uri, origin.version);
    if (!editor) return;
    if (index === null || index >= offsets.length) {
      editor.setDecorations(this.decoration, []);
      this.highlighted = null;
      return;
    }
    const [start, end] = offsets[index];
    const range = new vscode.Range(
      editor.document.positionAt(origin.offset + start),
      editor.document.positionAt(origin.offset + end),
    );
    editor.setDecorations(this.decoration, [range]);
    if (!hover) editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    this.highlighted = { uri: origin.uri, start: origin.offset + start, end: origin.offset + end };
  }

  private onCursor(e: vscode.TextEditorSelectionChangeEvent): void {
    const uri = e.textEditor.document.uri.toString();
    const cursor = e.textEditor.document.offsetAt(e.selections[0].active);
    for (const panel of this.panels.all()) {
      const origin = this.origin(panel);
      const offsets = panel.offsets;
      if (!origin || !offsets || origin.uri !== uri) continue;
      if (origin.version !== undefined && e.textEditor.document.version !== origin.version) continue;
      const index = tokenAt(offsets, cursor - origin.offset);
      if (index !== null) panel.focusRow(index);
    }
  }

  dispose(): void {
    for (const s of this.subscriptions.splice(0)) s.dispose();
    this.decoration.dispose();
  }
}

/** The token whose [start, end] contains `offset` (a cursor right after a token still counts), by binary search. */
export function tokenAt(offsets: readonly (readonly [number, number])[], offset: number): number | null {
  let lo = 0,
    hi = offsets.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [s, e] = offsets[mid];
    if (offset < s) hi = mid - 1;
    else if (offset > e) lo = mid + 1;
    else return mid;
  }
  return null;
}
