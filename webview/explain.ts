// A view's explanation, collapsible: its first sentence always shown as the disclosure's summary, the
// rest behind it. Beside an editor the full paragraphs pushed the figures below the fold; folded, the
// first sentence still says what the view is. The app keeps every explanation's open state in the
// view state (remembered across reloads), one switch for all of them.
import { el } from './dom';

export const EXPLAIN_CLASS = 'explain';

export function explanation(summary: string, rest: string): HTMLDetailsElement {
  return el(
    'details',
    { cls: `caption ${EXPLAIN_CLASS}` },
    el('summary', { text: summary }),
    el('span', { cls: 'explain-rest', text: rest }),
  );
}
