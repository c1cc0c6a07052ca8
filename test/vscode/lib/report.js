// Test results as the runners print them: one line per test, then one summary line per launcher.
const fs = require('fs');

/** Reads the JSON-lines file written by suite/index.js inside the extension host. */
function readResults(file) {
  const results = { started: false, ended: false, passed: [], failed: [], pending: [] };
  if (!fs.existsSync(file)) return results;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const e = JSON.parse(line);
    if (e.event === 'start') {
      results.started = true;
      results.startAt = e.at;
    } else if (e.event === 'end') {
      results.ended = true;
      results.endAt = e.at;
    } else if (e.event === 'pass') results.passed.push(e);
    else if (e.event === 'fail') results.failed.push(e);
    else if (e.event === 'pending') results.pending.push(e);
  }
  return results;
}

function printResults(results, prefix = '  ') {
  for (const t of results.passed) console.log(`${prefix}✓ ${t.title}${t.ms != null ? ` (${t.ms} ms)` : ''}`);
  for (const t of results.pending) console.log(`${prefix}- ${t.title} (pending)`);
  for (const t of results.failed) {
    console.log(`${prefix}✗ ${t.title}`);
    for (const l of String(t.error).split('\n').slice(0, 12)) console.log(`${prefix}    ${l}`);
  }
}

/** The one line CI greps for, e.g. "vscode integration: 5 passed, 0 failed (code-server offline, 8.1 s)". */
function summaryLine(label, passed, failed, note) {
  return `${label}: ${passed} passed, ${failed} failed${note ? ` (${note})` : ''}`;
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Runs a harness's main (resolving to its exit code) and sets the exit code; a harness that cannot
 * run at all says why on stderr and still prints the summary line CI greps for.
 */
function runHarness(label, main) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      console.error(`${label}: error: ${(e && e.message) || e}`);
      console.log(summaryLine(label, 0, 1, 'the harness could not run'));
      process.exitCode = 1;
    },
  );
}

module.exports = { readResults, printResults, summaryLine, seconds, runHarness };
