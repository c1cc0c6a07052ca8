// The step runner of the workbench end-to-end harnesses (e2e/run.js, e2e/models.js): [title, step]
// pairs run in order against one shared state, each bounded in time, one ✓/✗ line each, a
// screenshot after each step (and of a failure), and the steps after a failure listed as not run
// (they build on the state the failed one left).
const path = require('path');
const { seconds } = require('./report');
const { ROOT } = require('./toolchain');

/** Runs a step, failing it if it takes longer than ms (a stuck wait never hangs the run). */
function bounded(step, s, ms) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`step took longer than ${ms} ms`)), ms);
  });
  return Promise.race([step(s), limit]).finally(() => clearTimeout(timer));
}

/**
 * Runs `steps` against the state `s`. options: stepMs (each step's bound), and passShot(index,
 * title) / failShot(index, title), the screenshot paths for a passed and a failed step (taken when
 * s.page exists). Returns { passed, failed, notRun }.
 */
async function runSteps(steps, s, { stepMs, passShot, failShot }) {
  let passed = 0,
    failed = 0,
    notRun = 0,
    index = 0;
  for (const [title, step] of steps) {
    index++;
    if (failed > 0) {
      notRun++;
      console.log(`  - ${title} (not run)`);
      continue;
    }
    const ts = Date.now();
    try {
      const detail = await bounded(step, s, stepMs);
      passed++;
      console.log(`  ✓ ${title} (${seconds(Date.now() - ts)})${detail ? `: ${detail}` : ''}`);
      if (s.page) await s.page.screenshot({ path: passShot(index, title) }).catch(() => {});
    } catch (e) {
      failed++;
      console.log(`  ✗ ${title} (${seconds(Date.now() - ts)})`);
      for (const l of String((e && e.message) || e)
        .split('\n')
        .slice(0, 20))
        console.log(`      ${l}`);
      if (s.page) {
        const shot = failShot(index, title);
        await s.page.screenshot({ path: shot }).then(
          () => console.log(`      screenshot: ${path.relative(ROOT, shot)}`),
          () => {},
        );
      }
    }
  }
  return { passed, failed, notRun };
}

module.exports = { bounded, runSteps };
