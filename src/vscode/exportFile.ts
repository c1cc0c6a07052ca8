// Default names of exported files: `i-go-home.L0H2.weights.png` (the input, the head, the view), so
// exports of several inputs and heads land side by side without overwriting each other. Pure (no
// vscode) so it is unit-tested; the panel builds the name from the webview's suggestion.

export interface ExportNameParts {
  /** The panel's title: an example's label, a file name, a selection. */
  readonly title: string;
  readonly layer: number;
  readonly head: number | 'mean';
  /** The view exported: a tab name ('attention', 'scaling', …) or 'weights' for matrices. */
  readonly view: string;
  readonly extension: string;
}

const MAX_SLUG = 60;
/** Extensions of tensor and JSON inputs: a file's stem names its exports, not `model-safetensors`. */
const INPUT_EXTENSION = /\.(npy|npz|safetensors|pt|pth|bin|json|txt)$/i;

/** Lower-case ASCII words joined by '-': safe on every file system; 'attention' when nothing is left. */
export function slugOf(title: string): string {
  const ascii = title
    .replace(INPUT_EXTENSION, '')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
  const slug = ascii
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_SLUG)
    .replace(/-+$/, '');
  return slug || 'attention';
}

export function exportFileName(parts: ExportNameParts): string {
  const head = parts.head === 'mean' ? 'mean' : `H${parts.head}`;
  const view = parts.view.replace(/[^A-Za-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'view';
  return `${slugOf(parts.title)}.L${parts.layer}${head}.${view}.${parts.extension}`;
}

/**
 * The webview's suggestion `attention-[L{layer}-]{H{head}|mean}-{view}.{ext}` split into its parts.
 * It leaves out the layer when the input has one layer, so a missing layer is layer 0. Anything else
 * (the report, a name this function does not know) gives null: the caller keeps that name.
 */
export function partsOfWebviewName(name: string): Omit<ExportNameParts, 'title'> | null {
  const m = /^attention-(?:L(\d+)-)?(?:H(\d+)|(mean))-([A-Za-z0-9-]+)\.([A-Za-z0-9]+)$/.exec(name);
  if (!m) return null;
  return {
    layer: m[1] === undefined ? 0 : Number(m[1]),
    head: m[3] ? 'mean' : Number(m[2]),
    view: m[4],
    extension: m[5],
  };
}

/** The default name of an export: from its parts when the webview's name has them, else `slug.name`. */
export function defaultExportName(title: string, webviewName: string): string {
  const parts = partsOfWebviewName(webviewName);
  if (parts) return exportFileName({ title, ...parts });
  return `${slugOf(title)}.${webviewName.replace(/^attention-/, '')}`;
}
