// Starting and stopping code-server (the real VS Code workbench and Node extension host) for one run.
// Every run gets a fresh temp folder holding its config, user data, XDG dirs and extensions, so nothing
// is written to $HOME and runs never see each other's state. The server binds 127.0.0.1 only.
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { NODE, CS_ENTRY } = require('./toolchain');

// Without these the workbench opens a Welcome tab, a chat side bar and gallery/update traffic.
const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'security.workspace.trust.enabled': false,
  // The built-in git extension activates eagerly and scans the folder: nothing here needs it.
  'git.enabled': false,
};

/** A fresh run folder with user settings pre-seeded. */
function makeRunDir(prefix, settings = {}) {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  const user = path.join(runDir, 'user-data', 'User');
  fs.mkdirSync(user, { recursive: true });
  fs.mkdirSync(path.join(runDir, 'extensions'), { recursive: true });
  fs.mkdirSync(path.join(runDir, 'xdg'), { recursive: true });
  fs.writeFileSync(path.join(user, 'settings.json'), JSON.stringify({ ...QUIET_SETTINGS, ...settings }, null, 2));
  // Own config file: code-server otherwise creates ~/.config/code-server/config.yaml with a password.
  fs.writeFileSync(path.join(runDir, 'config.yaml'), 'bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n');
  return runDir;
}

function removeRunDir(runDir) {
  if (runDir && !process.env.KEEP_RUN_DIR) fs.rmSync(runDir, { recursive: true, force: true });
}

/** Arguments and environment shared by every code-server invocation of a run. */
function baseInvocation(runDir, env = {}) {
  const args = [
    CS_ENTRY,
    '--config',
    path.join(runDir, 'config.yaml'),
    '--user-data-dir',
    path.join(runDir, 'user-data'),
    '--extensions-dir',
    path.join(runDir, 'extensions'),
  ];
  const xdg = path.join(runDir, 'xdg');
  return { args, env: { ...process.env, XDG_DATA_HOME: xdg, XDG_CONFIG_HOME: xdg, XDG_CACHE_HOME: xdg, ...env } };
}

/** Installs a packaged .vsix into the run's (empty) extensions folder, as a user would. */
function installVsix(runDir, vsix) {
  const { args, env } = baseInvocation(runDir);
  const r = spawnSync(NODE, [...args, '--install-extension', vsix], { env, encoding: 'utf8', timeout: 120000 });
  const out = `${r.stdout || ''}${r.stderr || ''}`;
  if (r.status !== 0 || !/successfully installed/i.test(out)) {
    throw new Error(`code-server --install-extension ${path.basename(vsix)} failed (exit ${r.status}):\n${out.trim()}`);
  }
  return out.trim();
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Servers still running; stopped synchronously if this process exits or is interrupted.
const live = new Set();
function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}
process.on('exit', () => {
  for (const proc of live) killGroup(proc.pid, 'SIGKILL');
});
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
]) {
  process.on(signal, () => {
    console.error(`[vscode] ${signal}: stopping code-server`);
    process.exit(code); // the 'exit' handler above kills the process groups
  });
}

/**
 * Starts code-server in its own process group (it spawns the extension host and does not exit when the
 * tests end). Resolves once it listens: { proc, port, base, logFile, startMs, log() }.
 */
async function startCodeServer({ runDir, folder, extraArgs = [], env = {}, timeoutMs = 60000 }) {
  const port = await freePort();
  const { args, env: fullEnv } = baseInvocation(runDir, env);
  args.push(
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    ...extraArgs,
  );
  if (folder) args.push(folder);
  const logFile = path.join(runDir, 'code-server.log');
  const logStream = fs.createWriteStream(logFile);
  const t0 = Date.now();
  const proc = spawn(NODE, args, { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  live.add(proc);
  const exited = new Promise((resolve) =>
    proc.once('exit', (code, signal) => {
      live.delete(proc);
      resolve({ code, signal });
    }),
  );
  let text = '';
  const listening = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`code-server did not listen within ${timeoutMs} ms:\n${text.slice(-2000)}`)),
      timeoutMs,
    );
    const onData = (chunk) => {
      logStream.write(chunk);
      text += chunk.toString();
      if (/HTTP server listening on/.test(text)) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`code-server exited (${code ?? signal}):\n${text.slice(-2000)}`));
    });
  });
  const server = {
    proc,
    port,
    exited,
    base: `http://127.0.0.1:${port}`,
    authority: `127.0.0.1:${port}`,
    logFile,
    startMs: 0,
    log: () => text,
  };
  try {
    await listening;
  } catch (e) {
    await stopCodeServer(server);
    throw e;
  }
  server.startMs = Date.now() - t0;
  return server;
}

/** SIGTERM to the whole process group, SIGKILL whatever is left after a grace period. */
async function stopCodeServer(server, graceMs = 5000) {
  if (!server) return;
  const { proc } = server;
  if (proc.exitCode === null && proc.signalCode === null) {
    killGroup(proc.pid, 'SIGTERM');
    let timer;
    await Promise.race([
      server.exited,
      new Promise((r) => {
        timer = setTimeout(r, graceMs);
      }),
    ]);
    clearTimeout(timer);
  }
  // The leader may be gone while the extension host or pty host of its group still run.
  killGroup(proc.pid, 'SIGKILL');
  live.delete(proc);
}

/** The workbench's log folders for this run (exthost, renderer, server), newest session first. */
function logFiles(runDir, pattern) {
  const found = [];
  const walk = (dir) => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (pattern.test(entry.name)) found.push(p);
    }
  };
  walk(path.join(runDir, 'user-data', 'logs'));
  return found;
}

module.exports = { QUIET_SETTINGS, makeRunDir, removeRunDir, installVsix, startCodeServer, stopCodeServer, logFiles };
