// From the command to the first heatmap: the host's own marks (its clock, Date.now()) and the page's
// (FirstDrawMarks, the webview's performance.now()) put on one time line. The page's clock is
// moved onto the host's by the hello message: the host heard it `helloAt`, the page sent it at
// marks.hello, so page times are late by at most one message's delivery (well under a millisecond
// here, against the hundreds being measured).
import type { FirstDrawMarks } from '../protocol/methods';

export interface HostLoadMarks {
  /** The command ran (the inspection record was made). */
  readonly start: number;
  /** The panel and its session existed, the page's HTML was set. */
  readonly panel: number;
  /** The source had its overview (text: the worker started and computed every head). */
  readonly overviewComputed: number | null;
  /** The page's first hello arrived (its script had loaded and run). */
  readonly hello: number;
}

/** Each step's time since the command, in ms. */
export interface LoadTimeline {
  readonly panel: number;
  /** The page's navigation started (its clock's 0): up to here is VS Code's iframe, not ours. */
  readonly pageNavigated: number;
  /** Our bundle's first module ran: from pageNavigated, the HTML and the script's fetch and parse. */
  readonly scriptStarted: number;
  /** Every module had run (Lit, the element definitions): from scriptStarted, module evaluation. */
  readonly modulesEvaluated: number;
  readonly pageReady: number;
  readonly overviewComputed: number | null;
  readonly overviewReceived: number;
  readonly firstHeadReceived: number;
  readonly drawn: number;
}

export function loadTimeline(host: HostLoadMarks, page: FirstDrawMarks): LoadTimeline {
  const offset = host.hello - page.hello;
  const since = (t: number): number => Math.max(0, Math.round(t - host.start));
  return {
    panel: since(host.panel),
    pageNavigated: since(offset),
    scriptStarted: since(page.scriptStart + offset),
    modulesEvaluated: since(page.modulesEvaluated + offset),
    pageReady: since(host.hello),
    overviewComputed: host.overviewComputed === null ? null : since(host.overviewComputed),
    overviewReceived: since(page.overview + offset),
    firstHeadReceived: since(page.head + offset),
    drawn: since(page.drawn + offset),
  };
}

/** One line for the output channel: "first heatmap in 412 ms (panel 15, page 230, overview 300 …)". */
export function describeLoadTimeline(t: LoadTimeline, tokens: number): string {
  const computed = t.overviewComputed === null ? '' : ` (computed by ${t.overviewComputed})`;
  return (
    `first heatmap ${t.drawn} ms after the command, ${tokens} tokens: panel open ${t.panel} ms, ` +
    `page navigated ${t.pageNavigated}, script started ${t.scriptStarted}, ` +
    `modules evaluated ${t.modulesEvaluated}, hello ${t.pageReady}, overview received ${t.overviewReceived}${computed}, ` +
    `first head received ${t.firstHeadReceived}, drawn ${t.drawn}`
  );
}
