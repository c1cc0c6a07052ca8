// Building the DOM without innerHTML: every text goes in through textContent, so a token such as
// `<img src=x onerror=alert(1)>` is shown as those characters and never becomes an element.

type Child = Node | string | null | undefined | false;

export interface ElementOptions {
  readonly cls?: string;
  readonly text?: string;
  readonly attrs?: Record<string, string>;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  options?: ElementOptions,
  ...children: Child[]
): HTMLElementTagNameMap[K];
export function el(tag: string, options?: ElementOptions, ...children: Child[]): HTMLElement;
export function el(tag: string, options: ElementOptions = {}, ...children: Child[]): HTMLElement {
  const node = document.createElement(tag);
  if (options.cls) node.className = options.cls;
  if (options.attrs) for (const [k, v] of Object.entries(options.attrs)) node.setAttribute(k, v);
  if (options.text !== undefined) node.textContent = options.text;
  append(node, ...children);
  return node;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  }
}

export function clear(node: Node): void {
  while (node.firstChild) node.removeChild(node.firstChild);
}

export const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element with presentation attributes (not style attributes, which a strict CSP blocks). */
export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  append(node, ...children);
  return node;
}

/** Text visible only to screen readers. */
export function srOnly(text: string, live = false): HTMLElement {
  return el('div', { cls: 'sr-only', text, attrs: live ? { 'aria-live': 'polite' } : {} });
}

/** A figure in a section with a heading and a plain-words caption. */
export function section(title: string, caption: string | null, ...children: Child[]): HTMLElement {
  return el(
    'section',
    { cls: 'view-section' },
    el('h2', { text: title }),
    caption ? el('p', { cls: 'caption', text: caption }) : null,
    ...children,
  );
}
