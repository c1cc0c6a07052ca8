// Where the panel runs. In VS Code: acquireVsCodeApi() for messages and state. In the standalone
// report: the host side (MemorySource + PanelSession) runs in the same page, rebuilt from the
// embedded input; exports become blob downloads and state lives in sessionStorage.
import type { WebviewMessage } from '../src/protocol/messages';
import type { ExportFile } from '../src/host/session';
import type { Transport } from './client';

export interface StateStore {
  get(): unknown;
  set(state: unknown): void;
}

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export function inVsCode(): boolean {
  return typeof (globalThis as { acquireVsCodeApi?: unknown }).acquireVsCodeApi === 'function';
}

export function vsCodeTransport(): { transport: Transport; state: StateStore } {
  const api = acquireVsCodeApi();
  return {
    transport: {
      post: (message) => api.postMessage(message),
      listen: (handler) => window.addEventListener('message', (e: MessageEvent) => handler(e.data)),
    },
    state: { get: () => api.getState(), set: (s) => api.setState(s) },
  };
}

/** A pair of endpoints in one page: what the webview posts reaches the host's handler, and back. */
export function inPageTransport(deliverToHost: (message: WebviewMessage) => void): {
  transport: Transport;
  deliverToWebview: (message: unknown) => void;
} {
  let handler: ((data: unknown) => void) | null = null;
  const queue: unknown[] = [];
  return {
    transport: {
      // Asynchronous like a real postMessage, so ordering bugs show up here too.
      post: (message) => queueMicrotask(() => deliverToHost(message)),
      listen: (h) => {
        handler = h;
        for (const m of queue.splice(0)) h(m);
      },
    },
    deliverToWebview: (message) => {
      queueMicrotask(() => (handler ? handler(message) : queue.push(message)));
    },
  };
}

const STATE_KEY = 'attention-inspector-state';

export function sessionStateStore(): StateStore {
  return {
    get: () => {
      try {
        const text = sessionStorage.getItem(STATE_KEY);
        return text ? JSON.parse(text) : undefined;
      } catch {
        return undefined;
      }
    },
    set: (s) => {
      try {
        sessionStorage.setItem(STATE_KEY, JSON.stringify(s));
      } catch {
        // Storage can be unavailable (private windows, some file:// setups): state is then not kept.
      }
    },
  };
}

const MIME: Record<ExportFile['format'], string> = {
  png: 'image/png',
  svg: 'image/svg+xml',
  csv: 'text/csv;charset=utf-8',
  json: 'application/json',
  html: 'text/html;charset=utf-8',
};

/** Saves a file in the report: a temporary blob URL and a click on a download link. */
export function downloadFile(file: ExportFile): void {
  const blob = new Blob([typeof file.data === 'string' ? file.data : (file.data.slice().buffer as ArrayBuffer)], {
    type: MIME[file.format],
  });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = file.name;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
