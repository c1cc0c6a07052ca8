// The panel's layout checks (issue 16, problem 1), shared by the Chromium tests of the report
// (test/browser/layout.js) and the end-to-end run in the workbench (test/vscode/e2e/layout.js):
// `measurePanel` runs inside the panel's document, `layoutProblems` turns its numbers into sentences.
/* global window, document, requestAnimationFrame */

/** Runs in the panel's page: scrolls to the top and measures what a person sees first. */
async function measurePanel() {
  window.scrollTo(0, 0);
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const doc = document.scrollingElement || document.documentElement;
  const shown = (e) => e && e.offsetParent !== null && !e.closest('[hidden]');
  const weights = document.querySelector('[data-matrix=weights] canvas');
  const w = shown(weights) ? weights.getBoundingClientRect() : null;
  const plot = (c) => (c && c.dataset.plot ? c.dataset.plot.split(',').map(Number) : [0, 0, 0, 0]);
  const scores = document.querySelector('[data-matrix=scores] canvas');
  const tabs = document.querySelector('vscode-tabs');
  const limit = tabs ? Math.min(window.innerWidth, tabs.getBoundingClientRect().right) : window.innerWidth;
  const headers = Array.from(document.querySelectorAll('vscode-tab-header')).map((h) => {
    const r = h.getBoundingClientRect();
    return { tab: h.dataset.tab, left: r.left, right: r.right, width: r.width };
  });
  const toolbar = document.querySelector('.toolbar');
  return {
    width: window.innerWidth,
    height: window.innerHeight,
    scrollWidth: doc.scrollWidth,
    clientWidth: doc.clientWidth,
    weightsTop: w ? w.top + plot(weights)[1] : null,
    weightsPlot: w ? plot(weights)[2] : 0,
    scoresPlot: shown(scores) ? plot(scores)[2] : 0,
    toolbarHeight: toolbar ? toolbar.getBoundingClientRect().height : 0,
    clipped: headers.filter((h) => h.width < 1 || h.left < -0.5 || h.right > limit + 0.5).map((h) => h.tab),
    tabs: headers.length,
  };
}

/** What is wrong with a measured layout, as sentences (none: it passes). */
function layoutProblems(m) {
  const problems = [];
  if (m.scrollWidth > m.clientWidth + 1)
    problems.push(`a horizontal scrollbar: content ${m.scrollWidth} px wide in ${m.clientWidth} px`);
  if (m.weightsTop === null) problems.push('no weights map shown');
  else if (m.weightsTop >= m.height)
    problems.push(`the weights map starts at y=${Math.round(m.weightsTop)}, below the ${m.height} px panel`);
  if (m.tabs === 0) problems.push('no tabs');
  if (m.clipped.length > 0) problems.push(`tab headers clipped: ${m.clipped.join(', ')}`);
  if (m.scoresPlot > m.weightsPlot + 0.5)
    problems.push(`the weights map (${m.weightsPlot} px) is drawn smaller than the scores map (${m.scoresPlot} px)`);
  return problems;
}

function describeLayout(m) {
  return `panel ${m.width}×${m.height}, toolbar ${Math.round(m.toolbarHeight)} px, weights top y=${Math.round(m.weightsTop ?? -1)}, plots weights ${Math.round(m.weightsPlot)} / scores ${Math.round(m.scoresPlot)} px, width ${m.scrollWidth}/${m.clientWidth}`;
}

module.exports = { measurePanel, layoutProblems, describeLayout };
