#!/usr/bin/env node
// `npm start`: the extension, built, running in VS Code on the bundled examples folder.
//  - With a `code` command on the PATH: VS Code desktop with --extensionDevelopmentPath.
//  - Otherwise: VS Code in the browser (code-server from the offline toolchain the tests use, set up
//    on first run), bound to 127.0.0.1; the address is printed. Ctrl+C stops it.
// `--check` starts the browser variant, checks the workbench page answers, and stops (a smoke test).
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLES = path.join(ROOT, 'examples');
const check = process.argv.includes('--check');

function hasCode() {
  if (process.env.ATTENTION_INSPECTOR_NO_DESKTOP) return false;
  const r = spawnSync('code', ['--version'], { encoding: 'utf8', timeout: 20000 });
  return r.status === 0;
}

if (!check && hasCode()) {
  console.log(`Opening VS Code with the extension from ${ROOT} on ${EXAMPLES}`);
  const child = spawn('code', [`--extensionDevelopmentPath=${ROOT}`, EXAMPLES], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  const toolchain = require('../test/vscode/lib/toolchain.js');
  const cs = require('../test/vscode/lib/codeServer.js');
  const wb = require('../test/vscode/lib/workbench.js');
  toolchain.ensureToolchain();
  const runDir = cs.makeRunDir('attention-inspector-start');
  const server = await cs.startCodeServer({ runDir, folder: EXAMPLES });
  const url = wb.workbenchUrl(server, EXAMPLES, [['extensionDevelopmentPath', wb.remoteUri(server, ROOT)]]);
  const stop = async (code) => {
    await cs.stopCodeServer(server);
    cs.removeRunDir(runDir);
    process.exit(code);
  };
  if (check) {
    const res = await globalThis.fetch(url);
    const ok = res.ok && (await res.text()).includes('workbench');
    console.log(`${ok ? 'ok' : 'FAILED'}: ${url} answered ${res.status}`);
    await stop(ok ? 0 : 1);
  } else {
    console.log(
      `\nAttention Inspector is running in VS Code in the browser (no \`code\` command found):\n\n  ${url}\n\nOpen it in a browser on this machine; select text and run "Attention Inspector: Inspect Selection". Ctrl+C stops it.`,
    );
    process.on('SIGINT', () => void stop(0));
    process.on('SIGTERM', () => void stop(0));
    await server.exited;
  }
}
