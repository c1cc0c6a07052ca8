// The standalone report: the same panel, with its host running in the page. The input (text or a
// JSON document) is embedded as data; MemorySource rebuilds the inspection with the same core, so
// every view, the slider and mask switching work offline from file://.
import { REPORT_DATA_ID, type ReportData } from '../src/host/html';
import { MemorySource } from '../src/host/memorySource';
import { PanelSession } from '../src/host/session';
import type { Transport } from './client';
import { type StateStore, downloadFile, inPageTransport, sessionStateStore } from './transport';

export function hasReportData(): boolean {
  return document.getElementById(REPORT_DATA_ID) !== null;
}

/** The report page's assets, for "save this report again": the inline script and stylesheet. */
function pageAssets(): { script: string; style: string } {
  const script = Array.from(document.querySelectorAll('script')).find((s) => !s.type || s.type === 'text/javascript');
  const style = document.querySelector('style');
  return { script: script?.textContent ?? '', style: style?.textContent ?? '' };
}

/** Reads the embedded input and starts the in-page host; throws with a one-line reason on bad data. */
export function startReportHost(): { transport: Transport; state: StateStore } {
  const node = document.getElementById(REPORT_DATA_ID) as HTMLElement;
  let data: ReportData;
  try {
    data = JSON.parse(node.textContent ?? '') as ReportData;
  } catch {
    throw new Error('the report’s embedded data is not valid JSON');
  }
  const source = MemorySource.fromSpec(data?.spec);
  let session: PanelSession | null = null;
  const { transport, deliverToWebview } = inPageTransport((message) => void session?.handle(message));
  session = new PanelSession(source, deliverToWebview, {
    save: async (file) => {
      downloadFile(file);
      return { saved: true, location: 'download' };
    },
    reportAssets: async () => pageAssets(),
    log: (line) => console.warn(`[attention-inspector] ${line}`),
  });
  return { transport, state: sessionStateStore() };
}

/** Without VS Code the page picks a theme class itself: the system's light or dark preference. */
export function applyDefaultTheme(): void {
  const b = document.body;
  if (
    ['vscode-light', 'vscode-dark', 'vscode-high-contrast', 'vscode-high-contrast-light'].some((c) =>
      b.classList.contains(c),
    )
  )
    return;
  b.classList.add(window.matchMedia?.('(prefers-color-scheme: light)').matches ? 'vscode-light' : 'vscode-dark');
}
