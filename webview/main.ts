// Webview entry (dist/webview.js): the same bundle runs in the VS Code panel and in the standalone
// report. Only the web components the panel uses are imported, to keep the bundle small.
// scriptStart first: its mark is taken before the other modules (Lit, the elements) evaluate.
import { SCRIPT_START_MS } from './scriptStart';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-radio-group/index.js';
import '@vscode-elements/elements/dist/vscode-radio/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import { App } from './app';
import { HostClient, type Transport } from './client';
import { el } from './dom';
import { applyDefaultTheme, hasReportData, startReportHost } from './report';
import { type StateStore, inVsCode, vsCodeTransport } from './transport';

function boot(): void {
  const modulesEvaluated = performance.now();
  const root = document.getElementById('app') ?? document.body.appendChild(el('main', { attrs: { id: 'app' } }));
  let connection: { transport: Transport; state: StateStore };
  let report = false;
  try {
    if (inVsCode()) connection = vsCodeTransport();
    else if (hasReportData()) {
      report = true;
      applyDefaultTheme();
      connection = startReportHost();
    } else throw new Error('this page needs VS Code or an embedded report input');
  } catch (e) {
    root.replaceChildren(
      el(
        'div',
        { cls: 'error-box' },
        el('h2', { text: 'The inspector could not start' }),
        el('p', { text: e instanceof Error ? e.message : String(e) }),
      ),
    );
    root.setAttribute('aria-busy', 'false');
    document.body.dataset.ready = 'error';
    return;
  }
  let app: App | null = null;
  // The host's restore key rides along with the view state, so that after a window reload the
  // panel serializer can tell the host which input this panel showed.
  const inner = connection.state;
  const saved = inner.get() as { restoreKey?: unknown } | undefined;
  let restoreKey = typeof saved?.restoreKey === 'string' ? saved.restoreKey : undefined;
  const store: StateStore = {
    get: () => inner.get(),
    set: (s) => inner.set(restoreKey === undefined ? s : { ...(s as object), restoreKey }),
  };
  const client = new HostClient(connection.transport, { scriptStart: SCRIPT_START_MS, modulesEvaluated }, (push) => {
    if (push.event === 'configure' && push.restoreKey !== undefined && push.restoreKey !== restoreKey) {
      restoreKey = push.restoreKey;
      store.set(inner.get() ?? {});
    }
    // A panel reused for another input (no page load): its first heatmap is timed again.
    if (push.event === 'reset') client.restartLoadMarks();
    app?.onPush(push);
  });
  app = new App(root, client, store, report);
  // start() tells the client (firstDraw) a frame after the first head is drawn.
  void app.start();
}

boot();
