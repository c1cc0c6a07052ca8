// A stand-in for VS Code around the real panel bundle, for the hostile-input suite (hostile.js):
// `acquireVsCodeApi` is defined here and the host side (PanelSession over a MemorySource) runs in
// the page, so tokens, the title and warnings arrive through the real protocol, validated as in
// VS Code. The payloads come from `window.__hostile`, set by the test before the page loads.
import { MemorySource } from '../../src/host/memorySource';
import { PanelSession } from '../../src/host/session';
import type { InspectionSource } from '../../src/host/source';
import type { MaskName } from '../../src/protocol/messages';

interface HostileConfig {
  readonly tokens: string[];
  readonly title: string;
  readonly warnings: string[];
}

const w = window as unknown as { __hostile: HostileConfig; acquireVsCodeApi: () => unknown };
const config = w.__hostile;
const n = config.tokens.length;
const matrix = (rows: number, cols: number, k: number) =>
  Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => Math.sin(i * 1.7 + j * 0.9 + k)));
// Two heads with projections: every view (step vectors, heads grid, projections) has data.
const json = JSON.stringify({
  X: matrix(n, 4, 0),
  heads: [0, 1].map((h) => ({ W_Q: matrix(4, 2, 10 + h), W_K: matrix(4, 2, 20 + h), W_V: matrix(4, 2, 30 + h) })),
  tokens: config.tokens,
});
const inner = MemorySource.fromSpec({ kind: 'json', json }, undefined, { maxTokens: 100_000 });
const source: InspectionSource = {
  overview: async (mask?: MaskName) => {
    const o = await inner.overview(mask);
    return { ...o, title: config.title, warnings: [...config.warnings, ...o.warnings] };
  },
  head: (layer, head, options) => inner.head(layer, head, options),
  thumbnails: (size, mask) => inner.thumbnails(size, mask),
  variance: () => inner.variance(),
};
let state: unknown;
const session = new PanelSession(source, (message) => window.postMessage(message, '*'), {
  log: (line) => console.warn(`[host] ${line}`),
});
w.acquireVsCodeApi = () => ({
  postMessage: (message: unknown) => void session.handle(message),
  getState: () => state,
  setState: (s: unknown) => {
    state = s;
  },
});
