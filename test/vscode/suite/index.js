// extensionTestsPath entry: the extension host require()s this file and awaits run(). The same entry
// serves both launchers (code-server offline and @vscode/test-electron's desktop VS Code).
// Every *.test.js file next to this one is part of the suite: adding a test is adding a file.
//
// Besides mocha's console report, each result is appended as one JSON line to the file named by
// $AI_VSCODE_RESULTS (the runner passes it through the extension host's environment), so the runner
// can print the tests and count them whichever launcher ran them.
const fs = require('fs');
const path = require('path');

function loadMocha() {
  // mocha 12 is an ES module package; require(esm) gives its namespace, older majors the class itself.
  const m = require('mocha');
  return m.default || m.Mocha || m;
}

function recorder() {
  const file = process.env.AI_VSCODE_RESULTS;
  return (event) => {
    if (file) fs.appendFileSync(file, `${JSON.stringify(event)}\n`);
  };
}

function run() {
  const Mocha = loadMocha();
  const record = recorder();
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 30000, reporter: 'spec' });
  if (process.env.AI_VSCODE_GREP) mocha.grep(process.env.AI_VSCODE_GREP);
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  for (const f of files) mocha.addFile(path.join(__dirname, f));
  record({ event: 'start', files, pid: process.pid, node: process.version, at: Date.now() });

  return new Promise((resolve, reject) => {
    let runner;
    try {
      runner = mocha.run((failures) => {
        record({ event: 'end', failures, at: Date.now() });
        if (failures > 0) reject(new Error(`${failures} test(s) failed.`));
        else resolve();
      });
    } catch (e) {
      // A test file that throws while loading lands here: report it as a failure, not a silent 0.
      record({ event: 'fail', title: 'loading the suite', error: String((e && e.stack) || e) });
      record({ event: 'end', failures: 1, at: Date.now() });
      reject(e);
      return;
    }
    runner.on('pass', (t) => record({ event: 'pass', title: t.fullTitle(), ms: t.duration }));
    runner.on('fail', (t, err) =>
      record({ event: 'fail', title: t.fullTitle(), error: String((err && err.stack) || err) }),
    );
    runner.on('pending', (t) => record({ event: 'pending', title: t.fullTitle() }));
  });
}

module.exports = { run };
