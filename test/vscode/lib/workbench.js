// Driving the VS Code workbench in headless Debian chromium through playwright-core (which never
// downloads a browser). Selectors are the workbench's own DOM classes, checked against VS Code 1.139.
const fs = require('fs');
const { CHROMIUM } = require('./toolchain');

const QUICK_INPUT = '.quick-input-widget .quick-input-box input';
const QUICK_ROW = '.quick-input-widget .quick-input-list .monaco-list-row';
const EDITOR_LINES = '.editor-instance .monaco-editor .view-lines';
const NOTIFICATION = '.notifications-toasts .notification-toast .notification-list-item-message';

/** Headless chromium; `xdgDir` (a run's temp folder) takes the crash-report and dconf files it would put in $HOME. */
async function launchBrowser(xdgDir) {
  const { chromium } = require('playwright-core');
  const env = { ...process.env };
  if (xdgDir) {
    fs.mkdirSync(xdgDir, { recursive: true });
    Object.assign(env, { XDG_CONFIG_HOME: xdgDir, XDG_CACHE_HOME: xdgDir });
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    env,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/** The workbench URL for a folder; `payload` is the smoke-test driver's [name, value] list. */
function workbenchUrl(server, folder, payload) {
  let url = `${server.base}/?folder=${encodeURIComponent(folder)}`;
  if (payload) url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  return url;
}

/** A path on the server as the web workbench addresses it. */
function remoteUri(server, absPath) {
  return `vscode-remote://${server.authority}${absPath}`;
}

/** Waits for the workbench, and for the explorer to list `fileName` when given. */
async function waitWorkbench(page, fileName, timeout = 60000) {
  await page.waitForSelector('.monaco-workbench', { timeout });
  if (fileName) {
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: fileName }).first().waitFor({ timeout });
  }
}

/** Opens a workspace file through Quick Open (Ctrl+P), as a person would. */
async function openFile(page, fileName) {
  await page.keyboard.press('Control+P');
  const input = page.locator(QUICK_INPUT);
  await input.waitFor({ state: 'visible', timeout: 10000 });
  await input.fill(fileName);
  await page.locator(QUICK_ROW, { hasText: fileName }).first().waitFor({ timeout: 10000 });
  await input.press('Enter');
  await page.locator('.tabs-container .tab.active', { hasText: fileName }).waitFor({ timeout: 10000 });
  await page.locator(EDITOR_LINES).first().waitFor({ timeout: 10000 });
}

/** Selects whole lines [first, last] (0-based) of the active editor with the keyboard. */
async function selectLines(page, first, last = first) {
  await page.locator(EDITOR_LINES).first().click();
  await page.keyboard.press('Control+Home');
  for (let i = 0; i < first; i++) await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Home');
  for (let i = first; i < last; i++) await page.keyboard.press('Shift+ArrowDown');
  await page.keyboard.press('Shift+End');
}

/**
 * Waits until the status bar's cursor item, e.g. "Ln 1, Col 23 (22 selected)" (what the user sees of
 * the selection), matches `pattern`; returns its text. It updates asynchronously after key presses.
 */
async function waitSelectionStatus(page, pattern, timeout = 10000) {
  const item = page.locator('#status\\.editor\\.selection', { hasText: pattern });
  try {
    await item.waitFor({ timeout });
  } catch {
    const now = await page
      .locator('#status\\.editor\\.selection')
      .innerText()
      .catch(() => '(no status item)');
    throw new Error(`status bar selection is "${now.trim()}", expected ${pattern}`);
  }
  return (await item.innerText()).trim();
}

/**
 * F1, type the command title, pick the row whose label is exactly that title (not merely the first
 * fuzzy match), run it. Titles include the category, e.g. "View: Close All Editor Groups".
 */
async function runPaletteCommand(page, title) {
  const { input, row } = await paletteRow(page, title);
  await row.click();
  await input.waitFor({ state: 'hidden', timeout: 10000 });
}

/** F1 and the command's title typed: the palette's input and the row labelled exactly `title`, shown. */
async function paletteRow(page, title) {
  await page.keyboard.press('F1');
  const input = page.locator(QUICK_INPUT);
  await input.waitFor({ state: 'visible', timeout: 10000 });
  await input.fill(`>${title}`);
  const row = page
    .locator(QUICK_ROW)
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(title)}$`) }) })
    .first();
  await row.waitFor({ timeout: 10000 });
  return { input, row };
}

/**
 * Right-clicks in the active editor, inside the selection (default) or on the first line's text, and
 * returns the labels of the context menu that opens.
 */
async function openEditorContextMenu(page, { atSelection = true } = {}) {
  const target = atSelection
    ? page.locator('.editor-instance .monaco-editor .selected-text').first()
    : page.locator('.editor-instance .monaco-editor .view-line').first();
  await target.waitFor({ timeout: 10000 });
  const box = await target.boundingBox();
  await page.mouse.click(box.x + Math.min(20, box.width / 2), box.y + box.height / 2, { button: 'right' });
  return contextMenuLabels(page);
}

/** The labels of the context menu currently open (after a right-click). */
async function contextMenuLabels(page) {
  const labels = page.locator('.context-view .monaco-menu .action-item .action-label');
  await labels.first().waitFor({ timeout: 10000 });
  return (await labels.allTextContents()).map((s) => s.trim()).filter(Boolean);
}

/** Clicks a context-menu item; menus show the title WITHOUT the command's category. */
async function clickContextMenuItem(page, title) {
  const item = page
    .locator('.context-view .monaco-menu .action-item .action-label', {
      hasText: new RegExp(`^${escapeRegExp(title)}$`),
    })
    .first();
  await item.waitFor({ timeout: 10000 });
  // The workbench ignores a mouse-up that comes right after the menu opened (the release of the
  // right-click that opened it); a click that fast is dropped, as it would be for a person.
  await page.waitForTimeout(300);
  await item.click();
  await page.locator('.context-view .monaco-menu').waitFor({ state: 'hidden', timeout: 10000 });
}

/**
 * Picks an item of the quick pick a command just opened, by keyboard: types its label to filter the
 * list, waits until the focused row is that item, presses Enter. (A mouse click that lands while the
 * quick input is still laying out its new list is dropped; typing and Enter are not.)
 */
async function pickQuickItem(page, label) {
  const input = page.locator(QUICK_INPUT);
  await page.locator(QUICK_ROW, { hasText: label }).first().waitFor({ timeout: 10000 });
  await input.fill(label);
  await page.locator(`${QUICK_ROW}.focused`, { hasText: label }).first().waitFor({ timeout: 10000 });
  await input.press('Enter');
  await input.waitFor({ state: 'hidden', timeout: 10000 });
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Texts of the notification toasts currently shown. */
async function notifications(page) {
  return (await page.locator(NOTIFICATION).allTextContents()).map((s) => s.trim());
}

/** Waits for a notification toast whose text matches `pattern`; returns its text. */
async function waitNotification(page, pattern, timeout = 15000) {
  const toast = page.locator(NOTIFICATION, { hasText: pattern }).first();
  await toast.waitFor({ timeout });
  return (await toast.textContent()).trim();
}

/** Dismisses every notification (so the next check starts clean), with the workbench's own command. */
async function clearNotifications(page) {
  await page.keyboard.press('Escape');
  await runPaletteCommand(page, 'Notifications: Clear All Notifications');
  await page
    .locator('.notifications-toasts .notification-toast')
    .first()
    .waitFor({ state: 'detached', timeout: 10000 });
}

/**
 * The DOM of the active webview panel: the workbench wraps our HTML in <iframe class="webview ready">
 * (its pre/index.html), which holds <iframe id="active-frame"> with the panel's document.
 * Example: `await webviewFrame(page).locator('#tokens').innerText()`.
 */
function webviewFrame(page) {
  return page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}

/** Names of the editor tabs, in order. */
async function editorTabs(page) {
  return (await page.locator('.tabs-container .tab .label-name').allTextContents()).map((s) => s.trim());
}

/**
 * "Developer: Reload Window" from the palette. Resolves once the reloaded page has started; the caller
 * waits for the workbench again.
 */
async function reloadWindow(page, timeout = 60000) {
  const { row } = await paletteRow(page, 'Developer: Reload Window');
  await Promise.all([page.waitForEvent('domcontentloaded', { timeout }), row.click()]);
}

/** Drags the sash between the first two editor groups to `x` (page pixels). */
async function dragEditorSash(page, x) {
  const sash = page.locator('.part.editor .monaco-sash.vertical:visible').first();
  await sash.waitFor({ timeout: 10000 });
  const box = await sash.boundingBox();
  const y = box.y + Math.min(200, box.height / 2);
  await page.mouse.move(box.x + box.width / 2, y);
  await page.mouse.down();
  await page.mouse.move(x, y, { steps: 8 });
  await page.mouse.up();
  const now = await sash.boundingBox();
  if (Math.abs(now.x + now.width / 2 - x) > 20) throw new Error(`the editor sash is at x=${now.x}, not ${x}`);
}

// ---- side bar ----------------------------------------------------------------------------------

/** Opens a view container from the activity bar by its title (e.g. "Attention"), as a click would. */
async function openActivityBarView(page, title) {
  const item = page
    .locator('.part.activitybar .action-item', { has: page.locator(`.action-label[aria-label^="${title}"]`) })
    .first();
  await item.waitFor({ timeout: 10000 });
  if (
    (await item.getAttribute('aria-pressed')) !== 'true' &&
    !(await item.evaluate((e) => e.classList.contains('checked')))
  ) {
    await item.locator('.action-label').click();
  }
  await page
    .locator('.part.sidebar .composite.title', { hasText: new RegExp(`^\\s*${escapeRegExp(title)}`, 'i') })
    .first()
    .waitFor({ timeout: 10000 });
}

/** Shows the Explorer in the side bar (Ctrl+Shift+E, which focuses it if it is already open). */
async function showExplorer(page) {
  await page.keyboard.press('Control+Shift+E');
  await page.locator('.explorer-folders-view').first().waitFor({ timeout: 10000 });
}

/** A view of the side bar (a pane with a header), e.g. "Examples"; expanded if it was collapsed. */
function sidebarView(page, name) {
  return page
    .locator('.part.sidebar .pane', {
      has: page.locator('.pane-header .title', { hasText: new RegExp(`^${escapeRegExp(name)}$`, 'i') }),
    })
    .first();
}

/** Tree rows of a side-bar view (or of the whole side bar). */
function sidebarRows(page, view) {
  const scope = view ? sidebarView(page, view) : page.locator('.part.sidebar');
  return scope.locator('.monaco-list-row');
}

/** The side-bar tree row whose label is `label` (an exact match of the row's name). */
function sidebarRow(page, label, view) {
  return sidebarRows(page, view)
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }) })
    .first();
}

/**
 * The side-bar tree row `label`, scrolled into view first: the tree renders only the rows that fit its
 * pane, so a row below a short pane's fold is not in the DOM until the list is scrolled.
 */
async function revealSidebarRow(page, label, view) {
  const row = sidebarRow(page, label, view);
  const list = (view ? sidebarView(page, view) : page.locator('.part.sidebar')).locator('.monaco-list').first();
  for (let i = 0; i < 40 && (await row.count()) === 0; i++) {
    await list.hover();
    await page.mouse.wheel(0, 60);
    await page.waitForTimeout(50);
  }
  return row;
}

module.exports = {
  revealSidebarRow,
  launchBrowser,
  workbenchUrl,
  remoteUri,
  waitWorkbench,
  openFile,
  selectLines,
  waitSelectionStatus,
  runPaletteCommand,
  paletteRow,
  pickQuickItem,
  openEditorContextMenu,
  contextMenuLabels,
  clickContextMenuItem,
  notifications,
  waitNotification,
  clearNotifications,
  webviewFrame,
  editorTabs,
  reloadWindow,
  dragEditorSash,
  openActivityBarView,
  showExplorer,
  sidebarView,
  sidebarRows,
  sidebarRow,
};
