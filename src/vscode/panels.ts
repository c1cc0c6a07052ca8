// Opens, tracks and restores inspector panels. Each input gets one panel (several can be compared
// side by side); opening an input that is already open reveals its panel. The last panel the user
// focused is "active" for commands such as Export Current View and for the Layers & Heads view.
// Panels open beside the editor once, then in that same column, so clicks never add columns.
import * as vscode from 'vscode';
import { escapeControl, oneLineMessage } from '../core';
import { CancelledError } from '../protocol/cancelled';
import type { PanelTab } from '../protocol/messages';
import { fileInput, fileTitle, openRequestFor } from './inputs';
import { PendingSource } from '../host/pendingSource';
import { InspectorPanel, PANEL_VIEW_TYPE, type PanelHost, UnavailableSource } from './inspectorPanel';
import { type PanelSource, type Platform, panelHooks } from './platform';
import { type InspectionInput, type InspectionRecord, PanelRecords, RecentInspections, newId } from './recent';
import { SECTION, readSettings } from './settings';
import { modelRemedy } from './modelPicker';

/**
 * How long an open may run before its panel is created anyway (the page then loads while the input
 * opens). Shorter opens, bad input above all, get their panel (or their error, and no panel) after.
 */
const EARLY_PANEL_MS = 60;

export interface OpenResult {
  readonly id: string;
  readonly title: string;
  readonly tokens: string[];
  readonly layers: number;
  readonly heads: number;
}

/**
 * What makes two inputs "the same" for reuse: everything but the document version (an edit elsewhere
 * in the document leaves the same selection the same input). The tab is not part of it: asking for
 * another tab of an open input shows that tab in its panel.
 */
export function inputKey(input: InspectionInput): string {
  if (input.kind !== 'text' || !input.document) return JSON.stringify(input);
  const { version: _version, ...document } = input.document;
  return JSON.stringify({ ...input, document });
}

/** attentionInspector.panel.reuseActive: a new input replaces the active panel's content (anything but true is off). */
function reuseActiveSetting(): boolean {
  return vscode.workspace.getConfiguration(SECTION).get<unknown>('panel.reuseActive', false) === true;
}

export class PanelManager implements vscode.Disposable {
  private readonly panels = new Set<InspectorPanel>();
  private activePanel: InspectorPanel | undefined;
  private readonly activeChanged = new vscode.EventEmitter<InspectorPanel | undefined>();
  /** Fires when the active panel changes or loads its overview. */
  readonly onDidChangeActive = this.activeChanged.event;
  private readonly focusChanged = new vscode.EventEmitter<{
    panel: InspectorPanel;
    index: number | null;
    hover: boolean;
  }>();
  /** The user moved to a query row in a panel (the editor link highlights its token). */
  readonly onDidFocusToken = this.focusChanged.event;
  private readonly host: PanelHost;
  /** The last messages an open showed (errors, cancels), newest last: the in-host tests read them (debug state). */
  readonly shownMessages: string[] = [];
  /** Inputs being opened (before their panel exists), so Cancel can stop them too. */
  private readonly opening = new Set<PanelSource>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly platform: Platform,
    private readonly log: vscode.LogOutputChannel,
    private readonly recent: RecentInspections,
    private readonly records: PanelRecords,
  ) {
    this.host = {
      extensionUri,
      log,
      colorMap: () => readSettings().colorMap,
      onFocusToken: (panel, index, hover) => this.focusChanged.fire({ panel, index, hover }),
      onActive: (panel) => this.setActive(panel),
      onDisposed: (panel) => {
        this.panels.delete(panel);
        if (this.activePanel === panel) this.setActive([...this.panels].pop());
      },
      onOverview: (panel) => {
        if (panel === this.activePanel) this.activeChanged.fire(panel);
      },
    };
  }

  get active(): InspectorPanel | undefined {
    return this.activePanel;
  }

  all(): InspectorPanel[] {
    return [...this.panels];
  }

  private setActive(panel: InspectorPanel | undefined): void {
    if (this.activePanel === panel) return;
    this.activePanel = panel;
    this.activeChanged.fire(panel);
  }

  /**
   * Opens a record in a new panel. The input is opened on a worker (with progress and a cancel button
   * when slow); bad input gives an error message and no panel (one created early for a slow open is
   * closed again). Returns undefined when the user cancelled or the input was bad (the message has
   * been shown).
   */
  async open(record: InspectionRecord, options: { remember?: boolean } = {}): Promise<OpenResult | undefined> {
    const existing = this.findOpen(record.input);
    if (existing) return this.revealExisting(existing, record, options);
    const settings = readSettings();
    let created: PanelSource | undefined;
    // A plain panel replaced in place (reuseActive) has its page loaded already; otherwise an open
    // still running after EARLY_PANEL_MS gets its panel then, so the page loads while the input opens.
    const replaced = () =>
      reuseActiveSetting() && this.activePanel?.panel.viewType === PANEL_VIEW_TYPE ? this.activePanel : undefined;
    let early: InspectorPanel | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let source: PanelSource;
    try {
      const request = await openRequestFor(record, settings, this.platform);
      const opening = this.platform.open(request, {
        ...panelHooks(this.platform, this.log),
        onCreated: (s) => this.opening.add((created = s)),
      });
      if (!replaced())
        timer = setTimeout(() => {
          early = this.adopt(
            this.createPanel(record),
            record,
            new PendingSource(opening, () => created?.cancel() ?? false),
          );
        }, EARLY_PANEL_MS);
      source = await opening;
    } catch (e) {
      clearTimeout(timer);
      // Closed by the user while it opened: nothing to say.
      if (early?.isDisposed) return undefined;
      early?.dispose();
      const model = record.input.kind === 'text' ? record.input.model : undefined;
      if (e instanceof CancelledError) {
        const text = model
          ? vscode.l10n.t('Attention Inspector: cancelled running {0}; nothing is left running.', model)
          : vscode.l10n.t('Attention Inspector: cancelled.');
        this.remember(text);
        void vscode.window.showInformationMessage(escapeControl(text));
        return undefined;
      }
      this.log.info(`[${record.title}] ${oneLineMessage(e)}`);
      // A JSON document's errors name a path in it ("$.V: missing"): say which file too.
      const raw = oneLineMessage(e);
      const line = record.input.kind === 'json' && !raw.startsWith(record.title) ? `${record.title}: ${raw}` : raw;
      const text = model
        ? vscode.l10n.t('Attention Inspector: {0}. {1}', line.replace(/\.$/, ''), modelRemedy(line))
        : vscode.l10n.t('Attention Inspector: {0}', line);
      this.remember(text);
      void vscode.window.showErrorMessage(escapeControl(text));
      return undefined;
    } finally {
      if (created) this.opening.delete(created);
    }
    clearTimeout(timer);
    if (early?.isDisposed) return undefined;
    const old = early ? undefined : replaced();
    const inspector =
      early ?? (old ? this.replaceContent(old, record, source) : this.adopt(this.createPanel(record), record, source));
    if (options.remember !== false) await this.recent.add(record);
    await this.records.remember(record);
    return this.resultOf(inspector);
  }

  /** The live panel showing `input`, if any (custom editors included: a file open there is open). */
  private findOpen(input: InspectionInput): InspectorPanel | undefined {
    const key = inputKey(input);
    return [...this.panels].find((p) => inputKey(p.record.input) === key);
  }

  /** Opening what is already open: its panel comes to the front, on the tab asked for. */
  private async revealExisting(
    panel: InspectorPanel,
    record: InspectionRecord,
    options: { remember?: boolean },
  ): Promise<OpenResult> {
    panel.panel.reveal(undefined, false);
    if (record.tab) panel.show(record.tab);
    this.setActive(panel);
    if (options.remember !== false) await this.recent.add(panel.record);
    return this.resultOf(panel);
  }

  /**
   * A new webview panel in the panels' column: the column of the newest plain panel still open, else
   * Beside the editor. (Beside every time would add a column per click, since the panel that has the
   * focus is the one it is beside.)
   */
  private createPanel(record: InspectionRecord): vscode.WebviewPanel {
    const column =
      [...this.panels].reverse().find((p) => p.panel.viewType === PANEL_VIEW_TYPE && p.panel.viewColumn !== undefined)
        ?.panel.viewColumn ?? vscode.ViewColumn.Beside;
    return vscode.window.createWebviewPanel(
      PANEL_VIEW_TYPE,
      this.panelTitle(record),
      { viewColumn: column, preserveFocus: false },
      InspectorPanel.webviewOptions(this.extensionUri),
    );
  }

  /** reuseActive: the active panel's webview shows the new input; its old session and worker go. */
  private replaceContent(old: InspectorPanel, record: InspectionRecord, source: PanelSource): InspectorPanel {
    const webview = old.detach();
    webview.title = this.panelTitle(record);
    webview.reveal(undefined, false);
    return this.adopt(webview, record, source, { pageLoaded: true });
  }

  private async resultOf(inspector: InspectorPanel): Promise<OpenResult> {
    const { record } = inspector;
    try {
      const overview = await inspector.overviewLoaded;
      return {
        id: record.id,
        title: record.title,
        tokens: overview.tokens,
        layers: overview.layers,
        heads: overview.heads,
      };
    } catch (e) {
      // Opened but failed later (e.g. a head the file cannot deliver): the panel shows the error.
      this.log.info(`[${record.title}] ${oneLineMessage(e)}`);
      return { id: inspector.id, title: record.title, tokens: [], layers: 0, heads: 0 };
    }
  }

  /** Opens a file (JSON or tensor) by URI. */
  async openFile(uri: vscode.Uri, tab?: PanelTab): Promise<OpenResult | undefined> {
    const record: InspectionRecord = {
      id: newId(),
      title: fileTitle(uri),
      input: fileInput(uri, readSettings()),
      tab,
      openedAt: Date.now(),
    };
    return this.open(record);
  }

  /** Builds a panel around an existing webview panel (new, restored or a custom editor). */
  adopt(
    panel: vscode.WebviewPanel,
    record: InspectionRecord,
    source: PanelSource | UnavailableSource,
    options: { pageLoaded?: boolean } = {},
  ): InspectorPanel {
    const inspector = new InspectorPanel(panel, record, source, this.host, options);
    this.panels.add(inspector);
    this.setActive(inspector);
    return inspector;
  }

  /** A panel VS Code restores after a window reload: its record comes back by the restore key. */
  async restore(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const key =
      typeof state === 'object' && state !== null ? (state as { restoreKey?: unknown }).restoreKey : undefined;
    const record = typeof key === 'string' ? (this.records.get(key) ?? this.recent.get(key)) : undefined;
    if (!record) {
      const reason = vscode.l10n.t(
        'this inspection was not remembered across the reload (very long selections are not kept); inspect it again',
      );
      this.adopt(
        panel,
        {
          id: newId(),
          title: vscode.l10n.t('Attention Inspector'),
          input: { kind: 'text', text: '' },
          openedAt: Date.now(),
        },
        new UnavailableSource(reason),
      );
      return;
    }
    panel.title = this.panelTitle(record);
    await this.adoptLazily(panel, record);
  }

  /** The custom editor (Open With… → Attention Inspector) on a tensor file. */
  async resolveCustomEditor(uri: vscode.Uri, panel: vscode.WebviewPanel): Promise<void> {
    const record: InspectionRecord = {
      id: newId(),
      title: fileTitle(uri),
      input: fileInput(uri, readSettings()),
      openedAt: Date.now(),
    };
    await this.records.remember(record);
    await this.adoptLazily(panel, record);
  }

  /** A panel whose input opens on its first request; one that cannot be read shows why. */
  private async adoptLazily(panel: vscode.WebviewPanel, record: InspectionRecord): Promise<void> {
    try {
      const request = await openRequestFor(record, readSettings(), this.platform);
      this.adopt(panel, record, this.platform.lazy(request, panelHooks(this.platform, this.log)));
    } catch (e) {
      this.adopt(panel, record, new UnavailableSource(oneLineMessage(e)));
    }
  }

  /** Stops every running computation: inputs being opened and panels' pending requests. */
  cancelAll(): number {
    let n = 0;
    for (const s of this.opening) {
      s.cancel();
      n++;
    }
    for (const p of this.panels) {
      if (p.cancel()) n++;
    }
    return n;
  }

  private remember(message: string): void {
    this.shownMessages.push(message);
    if (this.shownMessages.length > 10) this.shownMessages.shift();
  }

  private panelTitle(record: InspectionRecord): string {
    return vscode.l10n.t('Attention: {0}', record.title);
  }

  dispose(): void {
    for (const p of [...this.panels]) p.dispose();
    this.activeChanged.dispose();
    this.focusChanged.dispose();
  }
}
