// Canvases as they are exported: without the interaction overlays (hovered row and column, the
// locked row's outline, the keyboard cursor, a hovered token in the lines view). A view that draws
// overlays registers how to draw itself without them; figure.ts asks here for every canvas it places.
const cleanDrawers = new WeakMap<HTMLCanvasElement, () => HTMLCanvasElement>();

/** `draw` returns a copy of `canvas` drawn with no interaction overlay. */
export function registerCleanCanvas(canvas: HTMLCanvasElement, draw: () => HTMLCanvasElement): void {
  cleanDrawers.set(canvas, draw);
}

/** The canvas to export: its clean copy when its owner registered one, else the canvas itself. */
export function exportCanvas(canvas: HTMLCanvasElement): HTMLCanvasElement {
  const draw = cleanDrawers.get(canvas);
  return draw ? draw() : canvas;
}

/** A same-sized copy of a canvas's pixels. */
export function copyCanvas(canvas: HTMLCanvasElement): HTMLCanvasElement {
  const copy = document.createElement('canvas');
  copy.width = canvas.width;
  copy.height = canvas.height;
  copy.style.width = canvas.style.width;
  copy.style.height = canvas.style.height;
  (copy.getContext('2d') as CanvasRenderingContext2D).drawImage(canvas, 0, 0);
  return copy;
}
