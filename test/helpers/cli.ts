// Runs the built CLI as a child process under a wall-clock bound, for tests that must hold against
// hostile inputs: a hang is killed (SIGKILL) at the bound and reported as such, never waited out.
// ATTENTION_CLI points at another build (e.g. an old main's dist/cli.js) to show a test fails there.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const CLI = process.env.ATTENTION_CLI ?? join(__dirname, '..', '..', 'dist', 'cli.js');

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Killed at the time bound (a hang or a runaway computation). */
  readonly timedOut: boolean;
}

export interface CliOptions {
  /** The bound after which the child is killed; every hostile case must finish well inside it. */
  readonly timeoutMs?: number;
  /** A file descriptor for stdout (e.g. /dev/full) instead of a pipe. */
  readonly stdoutFd?: number;
  readonly cwd?: string;
}

export function runCli(args: readonly string[], options: CliOptions = {}): CliRun {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 10_000,
    killSignal: 'SIGKILL',
    cwd: options.cwd,
    stdio: ['ignore', options.stdoutFd ?? 'pipe', 'pipe'],
    maxBuffer: 256 * 1024 * 1024,
  });
  const timedOut = r.signal === 'SIGKILL' || (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', timedOut };
}
