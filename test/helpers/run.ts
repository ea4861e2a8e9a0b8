// Runs the built executables (dist/, what the npm package and the Docker image
// ship) the way kpt, kustomize and users do: a child process with stdin, env and cwd.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { scratchRoot } from './tmp.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const fnBin = join(repoRoot, 'dist', 'kmsecret-fn.mjs');
export const cliBin = join(repoRoot, 'dist', 'kmsecret.mjs');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  stdin?: string | Uint8Array;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
}

/** An environment with nothing of the developer's AWS or kmsecret settings in it. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(AWS_|KMSECRET_|KUSTOMIZE_)/.test(k)) env[k] = v;
  }
  return {
    ...env,
    TMPDIR: scratchRoot(),
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}

export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? cleanEnv(), cwd: options.cwd ?? repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    // Only a guard against a hang that would otherwise stall the whole suite: far above what any
    // run takes on the slowest machine, so that it never decides a test.
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? '');
  });
}

export function runFn(stdin: string, env?: NodeJS.ProcessEnv, args: string[] = []): Promise<RunResult> {
  return run(process.execPath, [fnBin, ...args], { stdin, env: env ?? cleanEnv() });
}

export function runCli(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return run(process.execPath, [cliBin, ...args], { ...options, env: options.env ?? cleanEnv() });
}
