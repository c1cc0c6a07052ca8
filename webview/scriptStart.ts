// Imported first by webview/main.ts, so it runs before any other module of the bundle: the page's
// clock when our script began (0 is the page's navigation start), the first of the load marks
// sent with firstDraw. Whatever came before it is VS Code's iframe and the bundle's fetch and parse.
export const SCRIPT_START_MS = performance.now();
