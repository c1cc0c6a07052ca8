// The host end of the panel: validates what the webview sends, answers requests from an
// InspectionSource, and posts the answers back. No vscode here: the extension bridges
// `webview.onDidReceiveMessage` → `session.handle` and `session`'s post → `webview.postMessage`;
// the standalone report runs the same class inside the page.
import { InputError, type LimitOptions, limitError, oneLineMessage, resolveLimits } from '../core';
import type {
  ExportFormat,
  ExportResult,
  HostMessage,
  HeadIndex,
  Methods,
  Method,
  RequestMessage,
  SourceMethod,
} from '../protocol/messages';
import { PROTOCOL_VERSION } from '../protocol/messages';
import type { FirstDrawMarks } from '../protocol/methods';
import { parseWebviewMessage } from '../protocol/validate';
import type { InspectionSource } from './source';

export { thumbnailsFromHeads } from './sourceMethods';
import { callSource, isSourceMethod } from './sourceMethods';
import { buildReportHtml } from './html';

export interface ExportFile {
  readonly format: ExportFormat;
  /** A plain file name suggested by the panel (no folders). */
  readonly name: string;
  /** PNG bytes, or the text of an SVG, CSV, JSON or HTML file. */
  readonly data: Uint8Array | string;
}

export interface SessionOptions {
  /** Saves an exported file (VS Code: a save dialog and a write; the report: a blob download). */
  save?(file: ExportFile): Promise<ExportResult>;
  /** The webview bundle and stylesheet as text, for the standalone report (format 'html'). */
  reportAssets?(): Promise<{ script: string; style: string }>;
  /** Where dropped messages and failures are logged (an output channel, the console). */
  log?(line: string): void;
  /** The user moved to query token `index` (null: none); the editor may highlight its text. */
  onFocusToken?(index: number | null, hover?: boolean): void;
  /** The panel's first heatmap is on screen; `marks` are its load steps in the page's clock. */
  onFirstDraw?(marks: FirstDrawMarks): void;
  /** Caps (src/core/limits.ts); here limits.maxHeadsShown bounds the heads grid. Defaults when absent. */
  limits?: LimitOptions;
}

/** Posts one message to the webview (VS Code: `webview.postMessage`). */
export type Post = (message: HostMessage) => unknown;

/** Answers one validated request from the source. Throws InputError (or anything) on failure. */
export async function answerRequest<M extends Method>(
  source: InspectionSource,
  method: M,
  params: Methods[M]['params'],
  options: SessionOptions = {},
): Promise<Methods[M]['result']> {
  type R = Methods[M]['result'];
  if (method === 'export') return (await exportFile(source, params as Methods['export']['params'], options)) as R;
  if (!isSourceMethod(method)) throw new InputError('method', `unknown method ${String(method)}`);
  if (method === 'thumbnails') {
    const p = params as Methods['thumbnails']['params'];
    const caps = resolveLimits(options.limits);
    const overview = await source.overview(p.mask);
    const count = overview.layers * overview.heads;
    // Refused before any head is pooled: the grid would hold count tiles of size² values each.
    if (count > caps.maxHeadsShown)
      throw limitError('heads grid', `${count} heads`, 'maxHeadsShown', caps, 'shown at once');
  }
  return (await callSource<SourceMethod>(source, method, params as Methods[SourceMethod]['params'])) as R;
}

/** The `export` method: the panel's bytes (or, for 'html', a report the host builds) through `options.save`. */
async function exportFile(
  source: InspectionSource,
  p: Methods['export']['params'],
  options: SessionOptions,
): Promise<ExportResult> {
  if (!options.save) throw new InputError('export', 'saving files is not available here');
  let data: Uint8Array | string;
  if (p.format === 'html') {
    if (!source.spec)
      throw new InputError('export', 'this input cannot be written as a standalone report (it is not text or JSON)');
    // The report recomputes its input in the page, whole matrices: long texts stay in VS Code.
    const pooled = (await source.overview()).pooled;
    if (pooled)
      throw new InputError(
        'export',
        `a standalone report holds texts of up to ${pooled.fullResolutionTokens} tokens; this one has ${pooled.tokens} (export the view as PNG or SVG instead)`,
      );
    if (!options.reportAssets) throw new InputError('export', 'the report assets are not available here');
    const assets = await options.reportAssets();
    data = buildReportHtml({ ...assets, spec: source.spec });
  } else {
    if (p.data === undefined) throw new InputError('export', `a ${p.format} export needs its data`);
    data = typeof p.data === 'string' ? p.data : new Uint8Array(p.data);
  }
  return options.save({ format: p.format, name: p.name, data });
}

export class PanelSession {
  private disposed = false;

  constructor(
    private source: InspectionSource,
    private readonly post: Post,
    private readonly options: SessionOptions = {},
  ) {}

  /** Feeds one raw message from the webview (anything: it is validated here). */
  async handle(raw: unknown): Promise<void> {
    if (this.disposed) return;
    const parsed = parseWebviewMessage(raw);
    if (!parsed.ok) {
      this.log(`ignored a malformed message from the panel (${parsed.error})`);
      return;
    }
    const message = parsed.value;
    switch (message.kind) {
      case 'hello':
        if (message.protocol !== PROTOCOL_VERSION)
          this.log(`the panel speaks protocol ${message.protocol}, the host ${PROTOCOL_VERSION}`);
        return;
      case 'notify':
        if (message.event === 'focusToken') this.options.onFocusToken?.(message.index, message.hover === true);
        else if (message.event === 'firstDraw') this.options.onFirstDraw?.(message.marks);
        else this.log(`panel ${message.level}: ${message.text}`);
        return;
      case 'request':
        return this.answer(message);
    }
  }

  private async answer(request: RequestMessage): Promise<void> {
    const source = this.source;
    try {
      const result = await answerRequest(source, request.method, request.params, this.options);
      // A reset while this was computing makes the answer stale; the panel asks again anyway.
      if (!this.disposed && source === this.source) this.send({ kind: 'response', id: request.id, ok: true, result });
    } catch (e) {
      if (!(e instanceof InputError)) this.log(`internal error answering ${request.method}: ${oneLineMessage(e)}`);
      const error = e instanceof InputError ? e.message : `internal error: ${oneLineMessage(e)}`;
      if (!this.disposed && source === this.source) this.send({ kind: 'response', id: request.id, ok: false, error });
    }
  }

  /**
   * Posts without ever throwing: a webview disposed mid-transfer makes postMessage throw or reject,
   * and that must not escape into the extension host (the panel is gone; there is no one to tell).
   */
  private send(message: HostMessage): void {
    try {
      const sent = this.post(message);
      if (sent && typeof (sent as PromiseLike<unknown>).then === 'function') {
        (sent as PromiseLike<unknown>).then(undefined, (e: unknown) =>
          this.log(`could not post to the panel: ${oneLineMessage(e)}`),
        );
      }
    } catch (e) {
      this.log(`could not post to the panel: ${oneLineMessage(e)}`);
    }
  }

  /** Shows another input: the panel drops what it has and asks again. */
  setSource(source: InspectionSource): void {
    this.source = source;
    if (!this.disposed) this.send({ kind: 'push', event: 'reset' });
  }

  /** Opens a head in the panel (e.g. picked in the sidebar). */
  select(layer: number, head: HeadIndex): void {
    if (!this.disposed) this.send({ kind: 'push', event: 'select', layer, head });
  }

  dispose(): void {
    this.disposed = true;
  }

  private log(line: string): void {
    (this.options.log ?? ((l: string) => console.warn(`[attention-inspector] ${l}`)))(line);
  }
}
