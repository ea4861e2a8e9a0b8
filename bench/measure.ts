// Running a command the way the benchmark measures it: wall time from the
// outside (spawn to exit), peak RSS from /usr/bin/time where it exists.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Sample {
  wallMs: number;
  /** Peak resident set size in MiB, or undefined without /usr/bin/time. */
  rssMiB?: number;
  code: number;
  stderr: string;
}

const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

export async function measure(
  command: string,
  args: string[],
  options: { stdin?: string; env?: NodeJS.ProcessEnv; cwd?: string; stdoutTo?: 'ignore' },
): Promise<Sample> {
  const dir = mkdtempSync(join(tmpdir(), 'kmsecret-bench-'));
  const rssFile = join(dir, 'rss');
  const [cmd, argv] = timeBin ? [timeBin, ['-f', '%M', '-o', rssFile, command, ...args]] : [command, args];
  const started = performance.now();
  const result = await new Promise<{ code: number; stderr: string }>((resolve, reject) => {
    const child = spawn(cmd, argv, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['pipe', 'ignore', 'pipe'] });
    const err: Buffer[] = [];
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stderr: Buffer.concat(err).toString() }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? '');
  });
  const wallMs = performance.now() - started;
  let rssMiB: number | undefined;
  try {
    rssMiB = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) / 1024;
  } catch {
    rssMiB = undefined;
  }
  rmSync(dir, { recursive: true, force: true });
  return { wallMs, rssMiB, ...result };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Runs `runs` times; fails loudly if any run fails (a benchmark of errors measures nothing). */
export async function repeat(runs: number, once: () => Promise<Sample>): Promise<{ wallMs: number; rssMiB?: number; samples: Sample[] }> {
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    const s = await once();
    if (s.code !== 0) throw new Error(`a benchmark run failed (exit ${s.code}): ${s.stderr.slice(0, 500)}`);
    samples.push(s);
  }
  const rss = samples.map((s) => s.rssMiB).filter((r): r is number => r !== undefined);
  return { wallMs: median(samples.map((s) => s.wallMs)), ...(rss.length ? { rssMiB: median(rss) } : {}), samples };
}
