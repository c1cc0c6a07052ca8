#!/usr/bin/env node
// Runs the mocha suite in test/vscode/suite/ inside a real VS Code extension host.
//
//   node test/vscode/runExtensionTests.js          (npm run test:vscode)
//
// Launchers (one suite for both, see suite/index.js):
//   offline  code-server (VS Code 1.139's web workbench + Node extension host) opened in headless Debian
//            chromium; needs only the npm registry and apt, so it always runs.
//   electron @vscode/test-electron's runTests with a desktop VS Code: runs when $VSCODE_EXECUTABLE
//            names one, or when one can be downloaded (and, on Linux, a $DISPLAY exists, e.g. xvfb-run).
//            Otherwise it is reported as skipped, not failed.
// Environment: VSCODE_LAUNCHERS=offline,electron forces the list (a forced launcher that cannot run
// fails); AI_VSCODE_GREP=<pattern> filters tests; TEST_TIMEOUT_MS (default 180000); KEEP_RUN_DIR=1
// keeps the temp folders; VSCODE_VERBOSE=1 echoes the extension host's console.
const fs = require('fs');
const path = require('path');
const toolchain = require('./lib/toolchain');
const cs = require('./lib/codeServer');
const wb = require('./lib/workbench');
const { readResults, printResults, summaryLine, seconds, runHarness } = require('./lib/report');

const SUITE_ENTRY = path.join(__dirname, 'suite', 'index.js');
const TIMEOUT_MS = Number(process.env.TEST_TIMEOUT_MS || 180000);
const VERBOSE = process.env.VSCODE_VERBOSE === '1';
const LABEL = 'vscode integration';

/** Folds the extension host's verdict and the recorded results into pass/fail counts. */
function verdict(results, exitCode, problem) {
  const failed = results.failed.length;
  const passed = results.passed.length;
  const reasons = [];
  if (problem) reasons.push(problem);
  else if (!results.started) reasons.push('the test entry never ran (see the extension host log above)');
  else if (!results.ended) reasons.push('the suite did not finish');
  else if (exitCode !== 0 && failed === 0) reasons.push(`the extension host reported exit code ${exitCode}`);
  if (reasons.length === 0 && passed === 0) reasons.push('no tests ran');
  return { passed, failed: failed + (reasons.length > 0 && failed === 0 ? 1 : 0), reasons };
}

async function runOffline() {
  const t0 = Date.now();
  const runDir = cs.makeRunDir('ai-vscode-int');
  const resultsFile = path.join(runDir, 'results.jsonl');
  const hostConsole = [];
  let server,
    browser,
    exit = null,
    problem = null,
    navigatedAt = 0;
  try {
    // The smoke-test driver option makes the web workbench honour ?payload= (extension development
    // path + tests path) and report the tests' outcome through window.codeAutomationExit.
    const starting = cs.startCodeServer({
      runDir,
      folder: toolchain.WORKSPACE,
      extraArgs: ['--vscode-option', 'enable-smoke-test-driver'],
      env: { AI_VSCODE_RESULTS: resultsFile }, // the extension host inherits the server's environment
    });
    const launching = wb.launchBrowser(path.join(runDir, 'xdg'));
    // Both are awaited before either can throw, so neither is left running unowned.
    const [s, b] = await Promise.allSettled([starting, launching]);
    if (s.status === 'fulfilled') server = s.value;
    if (b.status === 'fulfilled') browser = b.value;
    if (s.status === 'rejected') throw s.reason;
    if (b.status === 'rejected') throw b.reason;
    const page = await browser.newPage();
    let onExit;
    const exited = new Promise((resolve) => {
      onExit = resolve;
    });
    await page.exposeFunction('codeAutomationExit', (code, logs) => onExit({ code, logs: logs || [] }));
    await page.exposeFunction('codeAutomationLog', () => {});
    page.on('console', (m) => {
      const text = m.text();
      if (!/Extension Host/.test(text)) return;
      // Mirrored extension-host console lines look like "%c[Extension Host] %cline color: ...".
      const line = text
        .replace(/%c/g, '')
        .replace(/\s*color: [^;]*;?|\s*background: [^;]*;?/g, '')
        .trim();
      hostConsole.push(line);
      if (VERBOSE) console.log(`  [exthost] ${line}`);
    });
    const payload = [
      ['extensionDevelopmentPath', wb.remoteUri(server, toolchain.ROOT)],
      ['extensionTestsPath', wb.remoteUri(server, SUITE_ENTRY)],
    ];
    navigatedAt = Date.now();
    await page.goto(wb.workbenchUrl(server, toolchain.WORKSPACE, payload));
    let timer;
    exit = await Promise.race([
      exited,
      new Promise((resolve) => {
        timer = setTimeout(() => resolve(null), TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (!exit) problem = `timed out after ${seconds(TIMEOUT_MS)} waiting for the extension host`;
  } catch (e) {
    problem = String((e && e.message) || e);
  } finally {
    if (browser) await browser.close().catch(() => {});
    await cs.stopCodeServer(server);
  }
  const results = readResults(resultsFile);
  printResults(results);
  const v = verdict(results, exit ? exit.code : 1, problem);
  if (v.reasons.length > 0 || v.failed > 0) {
    for (const r of v.reasons) console.log(`  ✗ ${r}`);
    const hostLog =
      exit &&
      (exit.logs.find((l) => /remoteexthost/i.test(l.relativePath)) ||
        exit.logs.find((l) => /exthost/i.test(l.relativePath)));
    if (hostLog)
      console.log(`  --- ${hostLog.relativePath} (tail) ---\n${Buffer.from(hostLog.contents).toString().slice(-3000)}`);
    else if (hostConsole.length)
      console.log(`  --- extension host console (tail) ---\n${hostConsole.slice(-30).join('\n')}`);
    if (server) console.log(`  --- code-server log (tail) ---\n${server.log().slice(-1500)}`);
    console.log(`  run folder kept for inspection: ${runDir}`);
  } else {
    cs.removeRunDir(runDir);
  }
  const phases =
    server && results.startAt && results.endAt
      ? `: server ${seconds(server.startMs)}, workbench to suite start ${seconds(results.startAt - navigatedAt)}, suite ${seconds(results.endAt - results.startAt)}`
      : '';
  return {
    ...v,
    note: `code-server ${toolchain.pinnedVersions().codeServer} offline, ${seconds(Date.now() - t0)}${phases}`,
  };
}

/** Where a desktop VS Code can come from, or why the electron launcher is skipped. */
async function desktopVSCode(forced) {
  if (process.env.VSCODE_EXECUTABLE) return { exe: process.env.VSCODE_EXECUTABLE };
  if (process.platform === 'linux' && !process.env.DISPLAY && !forced) {
    return { skip: 'no $VSCODE_EXECUTABLE and no $DISPLAY for a desktop VS Code (run under xvfb-run to enable)' };
  }
  const { downloadAndUnzipVSCode } = require('@vscode/test-electron');
  try {
    return {
      exe: await downloadAndUnzipVSCode({ cachePath: path.join(toolchain.ROOT, '.vscode-test'), timeout: 20000 }),
    };
  } catch (e) {
    return {
      skip: `no $VSCODE_EXECUTABLE and VS Code cannot be downloaded (${String((e && e.message) || e).split('\n')[0]})`,
    };
  }
}

async function runElectron(forced) {
  const t0 = Date.now();
  const source = await desktopVSCode(forced);
  if (source.skip) return { skipped: source.skip };
  const { runTests } = require('@vscode/test-electron');
  const runDir = cs.makeRunDir('ai-vscode-electron');
  const resultsFile = path.join(runDir, 'results.jsonl');
  let exitCode,
    problem = null;
  try {
    exitCode = await runTests({
      vscodeExecutablePath: source.exe,
      extensionDevelopmentPath: toolchain.ROOT,
      extensionTestsPath: SUITE_ENTRY,
      extensionTestsEnv: { AI_VSCODE_RESULTS: resultsFile },
      launchArgs: [
        toolchain.WORKSPACE,
        '--disable-extensions',
        '--user-data-dir',
        path.join(runDir, 'user-data'),
        '--extensions-dir',
        path.join(runDir, 'extensions'),
      ],
    });
  } catch (e) {
    exitCode = typeof e.code === 'number' ? e.code : 1;
    if (!fs.existsSync(resultsFile)) problem = String((e && e.message) || e);
  }
  const results = readResults(resultsFile);
  printResults(results);
  const v = verdict(results, exitCode, problem);
  for (const r of v.reasons) console.log(`  ✗ ${r}`);
  if (v.reasons.length === 0 && v.failed === 0) cs.removeRunDir(runDir);
  else console.log(`  run folder kept for inspection: ${runDir}`);
  return { ...v, note: `desktop VS Code via @vscode/test-electron, ${seconds(Date.now() - t0)}` };
}

async function main() {
  const forced = process.env.VSCODE_LAUNCHERS
    ? process.env.VSCODE_LAUNCHERS.split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : null;
  const launchers = forced || ['offline', 'electron'];
  const unknown = launchers.filter((l) => l !== 'offline' && l !== 'electron');
  if (unknown.length)
    throw new Error(`VSCODE_LAUNCHERS: unknown launcher(s) ${unknown.join(', ')} (use offline, electron)`);

  toolchain.ensureBuilt({ testHooks: true });
  const summaries = [];
  let failed = false;
  for (const launcher of launchers) {
    console.log(`[vscode] ${LABEL}: ${launcher} launcher`);
    let r;
    if (launcher === 'offline') {
      toolchain.ensureToolchain();
      r = await runOffline();
    } else {
      r = await runElectron(Boolean(forced));
    }
    if (r.skipped) {
      if (forced) {
        summaries.push(`${LABEL}: electron launcher cannot run: ${r.skipped}`);
        failed = true;
      } else summaries.push(`${LABEL}: electron launcher skipped: ${r.skipped}`);
      continue;
    }
    summaries.push(summaryLine(LABEL, r.passed, r.failed, r.note));
    if (r.failed > 0) failed = true;
  }
  for (const s of summaries) console.log(s);
  return failed ? 1 : 0;
}

runHarness(LABEL, main);
