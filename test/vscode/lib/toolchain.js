// Where the offline VS Code toolchain lives, and making sure it (and the extension bundle) exist
// before a run: a fresh machine gets everything from `npm test` alone.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const OFFLINE = path.resolve(process.env.VSCODE_OFFLINE || path.join(ROOT, '.vscode-test', 'offline'));
const SETUP_SCRIPT = path.join(ROOT, 'scripts', 'setup-vscode-offline.sh');
// code-server runs on its own Node 24; the project and these runners stay on the machine's Node.
const NODE = path.join(OFFLINE, 'node24', 'package', 'bin', 'node');
const CS_ENTRY = path.join(OFFLINE, 'cs', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const WORKSPACE = path.join(ROOT, 'test', 'vscode', 'workspace');
const RESULTS_DIR = path.join(ROOT, 'test-results');

/** The versions the setup script pins, read from the script so a version bump triggers a reinstall. */
function pinnedVersions() {
  const text = fs.readFileSync(SETUP_SCRIPT, 'utf8');
  const pick = (name) => (text.match(new RegExp(`^${name}=(\\S+)$`, 'm')) || [])[1];
  return { node: pick('NODE_VER'), codeServer: pick('CS_VER') };
}

function toolchainReady() {
  const stamp = path.join(OFFLINE, 'ready');
  if (!fs.existsSync(stamp) || !fs.existsSync(NODE) || !fs.existsSync(CS_ENTRY) || !fs.existsSync(CHROMIUM))
    return false;
  const { node, codeServer } = pinnedVersions();
  const ready = fs.readFileSync(stamp, 'utf8');
  return ready.includes(`node=${node}\n`) && ready.includes(`code-server=${codeServer}\n`);
}

/** Runs scripts/setup-vscode-offline.sh when the toolchain is missing or pinned to other versions. */
function ensureToolchain() {
  if (toolchainReady()) return { installed: false, ms: 0 };
  console.log(
    `[vscode] toolchain missing in ${path.relative(ROOT, OFFLINE) || OFFLINE}: running ${path.relative(ROOT, SETUP_SCRIPT)}`,
  );
  const t0 = Date.now();
  const r = spawnSync('bash', [SETUP_SCRIPT], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, VSCODE_OFFLINE: OFFLINE },
  });
  if (r.status !== 0 || !toolchainReady())
    throw new Error(`${path.relative(ROOT, SETUP_SCRIPT)} failed (exit ${r.status})`);
  return { installed: true, ms: Date.now() - t0 };
}

function newestMtime(dir) {
  let newest = 0;
  if (!fs.existsSync(dir)) return newest;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** Whether dist/ was built with the test-only hooks (scripts/build.mjs writes dist/build-flags.json). */
function builtWithTestHooks() {
  try {
    return JSON.parse(fs.readFileSync(path.join(ROOT, 'dist', 'build-flags.json'), 'utf8')).testHooks === true;
  } catch {
    return null;
  }
}

/**
 * Builds dist/ when it is missing, older than the sources, or built with other flags, so the tests
 * never run a stale bundle. `testHooks`: true for suites that read the debug.state command, false
 * for those that test what ships, undefined when either build will do.
 */
function ensureBuilt({ testHooks } = {}) {
  const bundle = path.join(ROOT, 'dist', 'extension.js');
  const sources = Math.max(newestMtime(path.join(ROOT, 'src')), newestMtime(path.join(ROOT, 'webview')));
  const flagsMatch = testHooks === undefined || builtWithTestHooks() === testHooks;
  if (fs.existsSync(bundle) && fs.statSync(bundle).mtimeMs >= sources && flagsMatch) return false;
  const args = testHooks ? ['scripts/build.mjs', '--test-hooks'] : ['scripts/build.mjs'];
  console.log(`[vscode] dist/ missing, stale or built with other flags: node ${args.join(' ')}`);
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed (exit ${r.status})`);
  return true;
}

function manifest() {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
}

/** A contributed command's titles as the palette ("Category: Title") and menus ("Title") show them. */
function commandTitles(command) {
  const nls = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.nls.json'), 'utf8'));
  const text = (s) => (typeof s === 'string' ? s.replace(/^%(.+)%$/, (all, key) => nls[key] ?? all) : s);
  const c = (manifest().contributes.commands || []).find((x) => x.command === command);
  if (!c) throw new Error(`package.json does not contribute ${command}`);
  return { palette: `${text(c.category)}: ${text(c.title)}`, menu: text(c.title) };
}

/**
 * Packages the extension as `npm run package` does (same flags) into runDir. vsce packages from a
 * copy of the repository without the git-ignored heavy folders: vsce walks every folder before
 * applying its ignore rules, and .vscode-test/ alone (the toolchain) costs it ~7 s. node_modules is
 * linked so a `vscode:prepublish` script still works; vsce does not package it.
 */
function packageVsix(runDir, { timeoutMs = 120000 } = {}) {
  const skip = new Set(['.git', 'node_modules', '.vscode-test', 'test-results', 'bench-results', 'out']);
  const stage = path.join(runDir, 'package-src');
  fs.mkdirSync(stage);
  for (const entry of fs.readdirSync(ROOT)) {
    if (skip.has(entry) || entry.endsWith('.vsix')) continue;
    fs.cpSync(path.join(ROOT, entry), path.join(stage, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(stage, 'node_modules'));
  const { name, version } = manifest();
  const vsix = path.join(runDir, `${name}-${version}.vsix`);
  const vsce = path.join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
  const r = spawnSync(
    process.execPath,
    [
      vsce,
      'package',
      '--no-dependencies',
      '--allow-missing-repository',
      '--no-rewrite-relative-links',
      '--readme-path',
      'README.extension.md',
      '-o',
      vsix,
    ],
    { cwd: stage, encoding: 'utf8', timeout: timeoutMs },
  );
  if (r.status !== 0) throw new Error(`vsce package failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  return vsix;
}

module.exports = {
  ROOT,
  OFFLINE,
  SETUP_SCRIPT,
  NODE,
  CS_ENTRY,
  CHROMIUM,
  WORKSPACE,
  RESULTS_DIR,
  pinnedVersions,
  toolchainReady,
  ensureToolchain,
  ensureBuilt,
  manifest,
  commandTitles,
  packageVsix,
};
