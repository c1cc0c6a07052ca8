// One inspector panel: a webview showing one input. The webview talks to a PanelSession (validated
// requests in, answers out); the session reads from a WorkerSource, so all computing happens on a
// worker thread. The panel never keeps its context when hidden: its view state lives in the webview's
// getState/setState, and the serializer rebuilds it after a reload from the restore key.
import * as vscode from 'vscode';
import { InputError, escapeControl, oneLineMessage } from '../core';
import { PanelSession, type ExportFile } from '../host/session';
import { buildPanelHtml, makeNonce } from '../host/html';
import { pageAssetsIfLoaded } from './pageAssets';
import { textModelNotice, withNotices } from '../host/textModelNotice';
import type { InspectionSource } from '../host/source';
import type { BatchChoice } from '../host/tensorFileSource';
import { describeLoadTimeline, loadTimeline, type LoadTimeline } from '../host/loadTimeline';
import { defaultExportName } from './exportFile';
import { limitsOf } from './inputs';
import type { PanelSource } from './platform';
import { readSettings } from './settings';
import type { ExportResult, HostMessage, Overview, PanelTab } from '../protocol/messages';
import type { InspectionRecord } from './recent';

export const PANEL_VIEW_TYPE = 'attentionInspector.panel';

export interface PanelHost {
  readonly extensionUri: vscode.Uri;
  readonly log: vscode.LogOutputChannel;
  readonly colorMap: () => 'viridis' | 'cividis' | 'gray';
  onFocusToken(panel: InspectorPanel, index: number | null, hover: boolean): void;
  onActive(panel: InspectorPanel): void;
  onDisposed(panel: InspectorPanel): void;
  onOverview(panel: InspectorPanel): void;
}

/** A source that cannot be opened any more (e.g. a restored panel whose input was not remembered). */
export class UnavailableSource implements InspectionSource {
  constructor(private readonly reason: string) {}
  overview(): Promise<Overview> {
    return Promise.reject(new InputError('restore', this.reason));
  }
  head(): never {
    throw new InputError('restore', this.reason);
  }
}

/** "Saved NAME — Open / Reveal in Explorer" after an export; the choice opens or reveals the file. */
async function offerSavedFile(target: vscode.Uri): Promise<void> {
  const open = vscode.l10n.t('Open');
  const reveal = vscode.l10n.t('Reveal in Explorer');
  const name = target.path.slice(target.path.lastIndexOf('/') + 1);
  const choice = await vscode.window.showInformationMessage(
    vscode.l10n.t('Saved {0}', escapeControl(name)),
    open,
    reveal,
  );
  if (choice === open) await vscode.commands.executeCommand('vscode.open', target);
  // Inside the workspace the explorer can show it (also on the web); elsewhere the OS file manager.
  else if (choice === reveal)
    await vscode.commands.executeCommand(
      vscode.workspace.getWorkspaceFolder(target) ? 'revealInExplorer' : 'revealFileInOS',
      target,
    );
}

let panelCount = 0;

export class InspectorPanel implements vscode.Disposable {
  /** Panels alive in this extension host (the load tests count them). */
  static get live(): number {
    return panelCount;
  }

  private readonly session: PanelSession;
  private readonly subscriptions: vscode.Disposable[] = [];
  private disposed = false;
  /** Filled once the panel has loaded its overview (for the Layers & Heads view). */
  overview: Overview | null = null;
  /** Command to first heatmap, once the page has drawn it (the output channel and the in-host tests read it). */
  firstDraw: LoadTimeline | null = null;
  /** Page loads (hellos) this inspection has seen: none when it took over a loaded page. */
  pageLoads = 0;
  private readonly loadMarks: { start: number; panel: number; overviewComputed: number | null; hello: number | null };

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly record: InspectionRecord,
    private source: PanelSource | UnavailableSource,
    private readonly host: PanelHost,
    /** The webview already runs our page (a panel reused for another input): no page load, a reset. */
    options: { pageLoaded?: boolean } = {},
  ) {
    panelCount++;
    const now = Date.now();
    // A record made by a command this minute starts the clock there; a restored panel's is old.
    const fresh = now - record.openedAt >= 0 && now - record.openedAt < 60_000;
    this.loadMarks = { start: fresh ? record.openedAt : now, panel: now, overviewComputed: null, hello: null };
    const webview = panel.webview;
    const dist = vscode.Uri.joinPath(host.extensionUri, 'dist');
    // Panels created here already have these; restored panels and custom editors get them now.
    const wanted = InspectorPanel.webviewOptions(host.extensionUri);
    const current = webview.options;
    if (
      current.enableScripts !== true ||
      (current.localResourceRoots ?? []).map(String).join() !== (wanted.localResourceRoots ?? []).map(String).join()
    )
      webview.options = wanted;
    panel.iconPath = vscode.Uri.joinPath(host.extensionUri, 'media', 'activitybar.svg');
    // The session must exist before the HTML loads: the page's first request can come at once.
    // A real model (input.model) says what it is in its own header; only the seeded one needs the notice.
    const notices = record.input.kind === 'text' && !record.input.model ? [textModelNotice()] : [];
    this.session = new PanelSession(withNotices(source, notices), (m) => this.post(m), {
      save: (file) => this.save(file),
      reportAssets: () => this.reportAssets(),
      log: (line) => host.log.warn(`[${record.title}] ${line}`),
      onFocusToken: (index, hover) => host.onFocusToken(this, index, hover === true),
      onFirstDraw: (marks) => {
        const { hello, ...rest } = this.loadMarks;
        if (this.firstDraw || hello === null) return;
        this.firstDraw = loadTimeline({ ...rest, hello }, marks);
        host.log.info(`[${record.title}] ${describeLoadTimeline(this.firstDraw, this.overview?.tokens.length ?? 0)}`);
      },
      limits: limitsOf(readSettings()),
    });
    this.subscriptions.push(
      webview.onDidReceiveMessage((m: unknown) => {
        // The page says hello each time it loads (VS Code may load it twice and drops messages
        // posted before a load): that is when it can take its settings and restore key.
        if (typeof m === 'object' && m !== null && (m as { kind?: unknown }).kind === 'hello') {
          this.loadMarks.hello = Date.now();
          this.pageLoads++;
          this.configure();
        }
        void this.session.handle(m);
      }),
      panel.onDidChangeViewState(() => {
        if (panel.active) host.onActive(this);
      }),
      panel.onDidDispose(() => this.dispose()),
    );
    if (options.pageLoaded) {
      // The page drops the old input on reset and asks this session again: no page load, so the
      // reset stands in for hello on the load timeline (and the settings and restore key go now).
      this.loadMarks.hello = Date.now();
      this.configure();
      this.post({ kind: 'push', event: 'reset' });
    } else
      webview.html = buildPanelHtml({
        cspSource: webview.cspSource,
        nonce: makeNonce(),
        scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
        styleUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.css')).toString(),
        title: record.title,
        inline: pageAssetsIfLoaded(host.extensionUri),
      });
    this.overviewLoaded = this.loadOverview();
    // Failures reach the webview through its own request; here they are only logged.
    this.overviewLoaded.catch(() => undefined);
  }

  static webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
    return {
      enableScripts: true,
      enableCommandUris: false,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
    };
  }

  get id(): string {
    return this.record.id;
  }

  /** Tensor files: the batch entry shown and how many there are (Choose Batch Entry), once the input is open. */
  get batchChoice(): BatchChoice | undefined {
    return this.source instanceof UnavailableSource ? undefined : this.source.info.batch;
  }

  /** Character offsets of each token (text inputs), for the editor link. */
  get offsets(): [number, number][] | null {
    return this.source instanceof UnavailableSource ? null : this.source.info.offsets;
  }

  /** The input's overview, asked for once when the panel opens (commands and the sidebar use it). */
  readonly overviewLoaded: Promise<Overview>;

  private async loadOverview(): Promise<Overview> {
    try {
      this.overview = await this.source.overview();
      this.loadMarks.overviewComputed = Date.now();
      if (!this.disposed) this.host.onOverview(this);
      return this.overview;
    } catch (e) {
      this.host.log.info(`[${this.record.title}] ${oneLineMessage(e)}`);
      throw e;
    }
  }

  private configured = false;

  /** Settings and the restore key; the record's tab the first time only (later loads keep the user's tab). */
  private configure(): void {
    this.post({ kind: 'push', event: 'configure', colorMap: this.host.colorMap(), restoreKey: this.record.id });
    if (!this.configured && this.record.tab && this.record.tab !== 'attention') this.show(this.record.tab);
    this.configured = true;
  }

  show(tab: PanelTab): void {
    this.post({ kind: 'push', event: 'show', tab });
  }

  select(layer: number, head: number | 'mean'): void {
    this.session.select(layer, head);
    this.panel.reveal(undefined, false);
  }

  /** The last row the editor cursor pointed the panel at (tests read it through the debug command). */
  lastFocusRow: number | null = null;

  focusRow(index: number | null): void {
    if (index === this.lastFocusRow) return;
    this.lastFocusRow = index;
    this.post({ kind: 'push', event: 'focusRow', index });
  }

  exportView(format: 'png' | 'svg' | 'csv' | 'json' | 'html'): void {
    this.post({ kind: 'push', event: 'export', format });
  }

  setColorMap(colorMap: 'viridis' | 'cividis' | 'gray'): void {
    this.post({ kind: 'push', event: 'configure', colorMap });
  }

  /** Stops a running computation (the progress notification's cancel button). */
  cancel(): boolean {
    return !(this.source instanceof UnavailableSource) && this.source.cancel();
  }

  private post(message: HostMessage): void {
    if (this.disposed) return;
    try {
      // A webview disposed mid-transfer rejects; the panel is going away, so that is not an error.
      void this.panel.webview.postMessage(message).then(undefined, () => undefined);
    } catch {
      // Disposed between the check and the call.
    }
  }

  private async save(file: ExportFile): Promise<ExportResult> {
    const name = defaultExportName(this.record.title, file.name);
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const defaultUri = folder ? vscode.Uri.joinPath(folder, name) : undefined;
    const ext = /\.([A-Za-z0-9]+)$/.exec(name)?.[1] ?? file.format;
    const target = await vscode.window.showSaveDialog({
      defaultUri,
      filters: { [file.format.toUpperCase()]: [ext] },
      title: vscode.l10n.t('Export {0}', escapeControl(name)),
    });
    if (!target) return { saved: false };
    const bytes = typeof file.data === 'string' ? new TextEncoder().encode(file.data) : file.data;
    await vscode.workspace.fs.writeFile(target, bytes);
    // Not awaited: the webview's status line should not wait for the user to answer the notification.
    void offerSavedFile(target);
    return { saved: true, location: target.scheme === 'file' ? target.fsPath : target.toString() };
  }

  private async reportAssets(): Promise<{ script: string; style: string }> {
    const dist = vscode.Uri.joinPath(this.host.extensionUri, 'dist');
    const [script, style] = await Promise.all(
      ['webview.js', 'webview.css'].map(async (f) =>
        new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(dist, f))),
      ),
    );
    return { script, style };
  }

  /** Ends this inspection but keeps its webview panel open, for another input to take over. */
  detach(): vscode.WebviewPanel {
    if (this.disposed) return this.panel;
    this.disposed = true;
    panelCount--;
    this.session.dispose();
    if (!(this.source instanceof UnavailableSource)) this.source.dispose();
    for (const s of this.subscriptions.splice(0)) s.dispose();
    this.host.onDisposed(this);
    return this.panel;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    if (this.disposed) return;
    this.detach().dispose();
  }
}
