// The canvas cannot use CSS variables directly, so the theme's colours are read once from the
// computed style (panel.css maps VS Code's --vscode-* variables, with fallbacks for the report) and
// read again whenever VS Code switches theme (it changes the body's class).

export type ThemeKind = 'dark' | 'light' | 'high-contrast' | 'high-contrast-light';

export interface Theme {
  readonly kind: ThemeKind;
  readonly background: string;
  readonly foreground: string;
  readonly muted: string;
  readonly border: string;
  readonly focus: string;
  readonly accent: string;
  /** Fill of masked cells, under the hatching. */
  readonly masked: string;
  readonly hatch: string;
  readonly fontFamily: string;
  readonly monoFamily: string;
  /** Chart series colours (colour-blind-safe order). */
  readonly series: readonly string[];
  /** Outline width: thicker in high contrast. */
  readonly strokeWidth: number;
}

export function themeKind(body: HTMLElement = document.body): ThemeKind {
  const c = body.classList;
  if (c.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (c.contains('vscode-high-contrast')) return 'high-contrast';
  if (c.contains('vscode-light')) return 'light';
  return 'dark';
}

export function readTheme(body: HTMLElement = document.body): Theme {
  const style = getComputedStyle(body);
  const v = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  const kind = themeKind(body);
  const dark = kind === 'dark' || kind === 'high-contrast';
  return {
    kind,
    background: v('--ai-bg', dark ? '#1e1e1e' : '#ffffff'),
    foreground: v('--ai-fg', dark ? '#cccccc' : '#333333'),
    muted: v('--ai-muted', dark ? '#9d9d9d' : '#6b6b6b'),
    border: v('--ai-border', dark ? '#3c3c3c' : '#d4d4d4'),
    focus: v('--ai-focus', '#0078d4'),
    accent: v('--ai-accent', dark ? '#f4b400' : '#c2410c'),
    masked: v('--ai-masked', dark ? '#2a2a2a' : '#ececec'),
    hatch: v('--ai-hatch', dark ? '#6e6e6e' : '#a0a0a0'),
    fontFamily: v('--ai-font', 'system-ui, sans-serif'),
    monoFamily: v('--ai-mono', 'ui-monospace, monospace'),
    series: [
      v('--ai-series-1', '#4c9be8'),
      v('--ai-series-2', '#e8833a'),
      v('--ai-series-3', '#5fb96b'),
      v('--ai-series-4', '#c678dd'),
    ],
    strokeWidth: kind.startsWith('high-contrast') ? 2 : 1,
  };
}

/** Calls `onChange` when the body's class or style changes (VS Code's theme switch); returns a stop function. */
export function observeTheme(onChange: () => void, body: HTMLElement = document.body): () => void {
  let last = themeSignature(body);
  const observer = new MutationObserver(() => {
    const now = themeSignature(body);
    if (now !== last) {
      last = now;
      onChange();
    }
  });
  observer.observe(body, { attributes: true, attributeFilter: ['class', 'style', 'data-vscode-theme-id'] });
  return () => observer.disconnect();
}

function themeSignature(body: HTMLElement): string {
  return `${body.className}|${body.getAttribute('style') ?? ''}|${body.dataset.vscodeThemeId ?? ''}`;
}
