// Reading the inspector panel (a webview) inside the workbench the way a person reads it: which tokens
// label the heatmap's rows (the labels are painted on a canvas, so they are read from the tooltip a
// hover over each row shows), and whether the heatmap's cells are painted at all.

/** The panel's own document: <iframe class="webview ready"> → <iframe id="active-frame">. */
function panelFrame(page) {
  // Only the visible webview: a panel VS Code is tearing down can linger for a moment.
  return page.frameLocator('iframe.webview.ready:visible').frameLocator('iframe#active-frame');
}

/** Waits until the panel's app has loaded its data (app.ts sets body[data-ready="1"]). */
async function waitPanelReady(page, timeout) {
  const frame = panelFrame(page);
  await frame.locator('body[data-ready="1"]').waitFor({ timeout });
  return frame;
}

/** Plot rectangle and visible window of a heatmap canvas, as heatmap.ts publishes them in data-*. */
async function heatmapGeometry(canvas) {
  return canvas.evaluate((c) => {
    const [x, y, w, h] = c.dataset.plot.split(',').map(Number);
    const [row0, col0, rows, cols] = c.dataset.view.split(',').map(Number);
    return { plot: { x, y, w, h }, view: { row0, col0, rows, cols } };
  });
}

/** A point in cell (i, j), `fx`/`fy` of the way across it, relative to the canvas' top-left corner. */
function cellPosition(g, i, j, fx = 0.5, fy = 0.5) {
  return {
    x: g.plot.x + ((j - g.view.col0 + fx) / g.view.cols) * g.plot.w,
    y: g.plot.y + ((i - g.view.row0 + fy) / g.view.rows) * g.plot.h,
  };
}

/**
 * The query tokens of a heatmap (`matrix` = its data-matrix name), top to bottom: hovers the diagonal
 * cell of each row and reads the tooltip's "query" line, “token” (row i).
 */
async function rowTokens(frame, matrix = 'weights') {
  const box = frame.locator(`[data-matrix=${matrix}]`);
  const canvas = box.locator('canvas').first();
  const g = await heatmapGeometry(canvas);
  const tokens = [];
  for (let i = 0; i < Math.round(g.view.rows); i++) {
    await canvas.hover({ position: cellPosition(g, i, Math.min(i, Math.round(g.view.cols) - 1)), force: true });
    const query = box.locator('.tooltip:not([hidden]) .tooltip-line', { hasText: /^query/ }).first();
    const pattern = new RegExp(`^query\\s*“(.*)” \\(row ${i}\\)$`, 's');
    let text = '';
    for (let tries = 0; tries < 20 && !pattern.test(text); tries++) {
      text = (await query.textContent({ timeout: 2000 }).catch(() => '')).trim();
      if (!pattern.test(text)) await frame.locator('body').evaluate(() => new Promise((r) => setTimeout(r, 50)));
    }
    const m = pattern.exec(text);
    if (!m) throw new Error(`hovering row ${i} of the ${matrix} heatmap shows no query tooltip (got "${text}")`);
    tokens.push(m[1]);
  }
  return tokens;
}

/**
 * Samples each cell of a heatmap (near its top-left corner, away from any value printed in it) and
 * the canvas background: { background, cells: [[r,g,b,a]…] (row-major), rows, cols }.
 */
async function heatmapPixels(frame, matrix = 'weights') {
  const canvas = frame.locator(`[data-matrix=${matrix}] canvas`).first();
  const g = await heatmapGeometry(canvas);
  const points = [];
  for (let i = 0; i < Math.round(g.view.rows); i++) {
    for (let j = 0; j < Math.round(g.view.cols); j++) points.push(cellPosition(g, i, j, 0.2, 0.2));
  }
  const sampled = await canvas.evaluate((c, pts) => {
    const scale = c.width / c.getBoundingClientRect().width; // device pixels per CSS pixel
    const ctx = c.getContext('2d');
    const at = (p) => Array.from(ctx.getImageData(Math.round(p.x * scale), Math.round(p.y * scale), 1, 1).data);
    return { background: at({ x: 2, y: 2 }), cells: pts.map(at) };
  }, points);
  return { ...sampled, rows: Math.round(g.view.rows), cols: Math.round(g.view.cols) };
}

/** Clicks a tab of the panel ("attention", "scaling", "variance", "projections", "heads"). */
async function showTab(frame, id, timeout) {
  const header = frame.locator(`vscode-tab-header[data-tab=${id}]`);
  await header.click({ timeout });
  await frame.locator(`vscode-tab-panel[data-tab=${id}]:visible`).waitFor({ timeout });
}

module.exports = { panelFrame, waitPanelReady, heatmapGeometry, cellPosition, rowTokens, heatmapPixels, showTab };
