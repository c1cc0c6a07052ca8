// The panel's HTML: a strict Content Security Policy (nothing loads but our nonce'd script and our
// stylesheet; images only from blob:/data: for exports; no eval), and no inline handlers or style
// attributes. The same bundle runs in the standalone report, inlined with its data, so the report
// opens offline from file://.
import type { SourceSpec } from './source';

export interface PanelHtmlOptions {
  /** `webview.cspSource`: the origin VS Code serves the extension's files from. */
  readonly cspSource: string;
  /** A fresh random nonce per render (see makeNonce). */
  readonly nonce: string;
  /** `webview.asWebviewUri(dist/webview.js)`, as a string. */
  readonly scriptUri: string;
  /** `webview.asWebviewUri(dist/webview.css)`, as a string. */
  readonly styleUri: string;
  readonly title?: string;
  /**
   * The script and stylesheet as text, put inline (by the same nonce) instead of by URI: the page
   * then needs no fetch through VS Code's webview service worker before it can start.
   */
  readonly inline?: { readonly script: string; readonly style: string };
}

export interface ReportData {
  readonly version: 1;
  readonly spec: SourceSpec;
}

/** The id of the element holding the report's embedded data. */
export const REPORT_DATA_ID = 'attention-report-data';

/** 32 random bytes, base64: unguessable per page load (Web Crypto exists in Node ≥ 19 and browsers). */
export function makeNonce(): string {
  const bytes = new Uint8Array(24);
  globalThis.crypto.getRandomValues(bytes);
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/[+/=]/g, (c) => (c === '+' ? '-' : c === '/' ? '_' : ''));
}

export function escapeHtml(text: string): string {
  // Attributes are always double-quoted, so ' may stay (CSP keywords read better that way).
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

function assertToken(value: string, what: string): void {
  // Values that go into the CSP header unquoted must not be able to add directives.
  if (/[;,\s'"]/.test(value))
    throw new RangeError(`${what} contains characters not allowed in a Content-Security-Policy source`);
}

/**
 * `webview.cspSource` may be a space-separated list of sources (code-server gives `'self'` plus a CDN
 * origin): each must be a plain source or a quoted keyword, and none may end the directive.
 */
function assertSourceList(value: string, what: string): void {
  const sources = value.trim().split(/\s+/);
  if (value.trim() === '' || sources.some((s) => !/^('[a-z-]+'|[^;,'"\s]+)$/.test(s))) {
    throw new RangeError(`${what} contains characters not allowed in a Content-Security-Policy source`);
  }
}

/** The Content-Security-Policy for the VS Code panel. */
export function panelCsp(cspSource: string, nonce: string): string {
  assertSourceList(cspSource, 'cspSource');
  cspSource = cspSource.trim().split(/\s+/).join(' ');
  assertToken(nonce, 'nonce');
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `img-src ${cspSource} blob: data:`,
    `font-src ${cspSource}`,
    "connect-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/** The Content-Security-Policy of the standalone report: everything inline, by nonce. */
export function reportCsp(nonce: string): string {
  assertToken(nonce, 'nonce');
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    'img-src blob: data:',
    "connect-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/** The webview's HTML. VS Code wiring: `webview.html = buildPanelHtml({ cspSource: webview.cspSource, nonce: makeNonce(), scriptUri, styleUri })`. */
export function buildPanelHtml(options: PanelHtmlOptions): string {
  const { nonce, inline } = options;
  const title = escapeHtml(options.title ?? 'Attention Inspector');
  const style = inline
    ? `<style nonce="${nonce}">${inlineStyleText(inline.style)}</style>`
    : `<link rel="stylesheet" href="${escapeHtml(options.styleUri)}" nonce="${nonce}">`;
  const script = inline
    ? `<script nonce="${nonce}">${inlineScriptText(inline.script)}</script>`
    : `<script nonce="${nonce}" src="${escapeHtml(options.scriptUri)}"></script>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(panelCsp(options.cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
${style}
</head>
<body>
<main id="app" aria-busy="true"></main>
${script}
</body>
</html>
`;
}

/**
 * Script text that is safe inside <script>…</script>: the HTML parser ends a script at `</script`
 * and treats `<!--` specially, whatever the JavaScript meant. Both can only occur inside string,
 * template or regular-expression literals (or comments), where `\x3C` reads as `<`.
 */
export function inlineScriptText(script: string): string {
  // The bundle's source-map comment points at a file the report does not carry.
  return script.replace(/\n\/\/# sourceMappingURL=[^\n]*\s*$/, '\n').replace(/<(\/script|!--)/gi, '\\x3C$1');
}

/** A stylesheet that cannot end its <style> element early. */
export function inlineStyleText(style: string): string {
  return style.replace(/<\/(style)/gi, '<\\/$1');
}

/** JSON that is safe inside <script type="application/json">: `<` never appears literally. */
export function inlineJsonText(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export interface ReportHtmlOptions {
  /** dist/webview.js as text. */
  readonly script: string;
  /** dist/webview.css as text. */
  readonly style: string;
  readonly spec: SourceSpec;
  readonly title?: string;
  readonly nonce?: string;
}

/** A standalone, offline HTML report: the panel's bundle and styles inline, the input embedded. */
export function buildReportHtml(options: ReportHtmlOptions): string {
  const nonce = options.nonce ?? makeNonce();
  const data: ReportData = { version: 1, spec: options.spec };
  const title = escapeHtml(
    options.title ?? `Attention Inspector report${options.spec.title ? ` — ${options.spec.title}` : ''}`,
  );
  const style = inlineStyleText(options.style);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(reportCsp(nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="attention-inspector">
<title>${title}</title>
<style nonce="${nonce}">${style}</style>
</head>
<body data-report="1">
<main id="app" aria-busy="true"></main>
<script type="application/json" id="${REPORT_DATA_ID}" nonce="${nonce}">${inlineJsonText(data)}</script>
<script nonce="${nonce}">${inlineScriptText(options.script)}</script>
</body>
</html>
`;
}
