// Running a command the way the benchmark measures it: wall time, CPU time (user
// + system, the process and everything it waited for) and peak RSS of the
// command alone. A small python3 wrapper forks, execs the command and reads its
// rusage with wait4(), which has microseconds (GNU time prints hundredths);
// the wrapper's own start-up is outside the measured span. Without python3,
// wall time only, measured from here.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Sample {
  wallMs: number;
  /** User + system CPU of the command and its children; undefined without python3. */
  cpuMs?: number;
  /** Peak resident set size in MiB (the largest process); undefined without python3. */
  rssMiB?: number;
  code: number;
  stderr: string;
}

const wrapper = `
import os, sys, time, json
out, argv = sys.argv[1], sys.argv[2:]
start = time.perf_counter_ns()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter_ns() - start
with open(out, 'w') as f:
    json.dump({'wallNs': wall, 'cpuUs': round((ru.ru_utime + ru.ru_stime) * 1e6), 'rssKiB': ru.ru_maxrss}, f)
sys.exit(os.waitstatus_to_exitcode(status) if hasattr(os, 'waitstatus_to_exitcode') else status >> 8)
`;
const python = spawnSync('python3', ['-c', 'import os; os.wait4'], { stdio: 'ignore' }).status === 0 ? 'python3' : undefined;

/** Whether CPU time and RSS are measured. */
export const measuresCpu = python !== undefined;

export async function measure(command: string, args: string[], options: { stdin?: string; env: NodeJS.ProcessEnv; cwd?: string }): Promise<Sample> {
  const dir = mkdtempSync(join(tmpdir(), 'kmsecret-bench-'));
  const report = join(dir, 'rusage.json');
  const [cmd, argv] = python ? [python, ['-c', wrapper, report, command, ...args]] : [command, args];
  const started = performance.now();
  const result = await new Promise<{ code: number; stderr: string }>((resolve, reject) => {
    const child = spawn(cmd, argv, { env: options.env, cwd: options.cwd, stdio: ['pipe', 'ignore', 'pipe'] });
    const err: Buffer[] = [];
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stderr: Buffer.concat(err).toString() }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? '');
  });
  let wallMs = performance.now() - started;
  let cpuMs: number | undefined;
  let rssMiB: number | undefined;
  if (python) {
    const r = JSON.parse(readFileSync(report, 'utf8')) as { wallNs: number; cpuUs: number; rssKiB: number };
    wallMs = r.wallNs / 1e6;
    cpuMs = r.cpuUs / 1000;
    rssMiB = r.rssKiB / 1024;
  }
  rmSync(dir, { recursive: true, force: true });
  return { wallMs, ...(cpuMs === undefined ? {} : { cpuMs }), ...(rssMiB === undefined ? {} : { rssMiB }), ...result };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export interface Timed {
  wallMs: number;
  cpuMs?: number;
  rssMiB?: number;
}

function summary(samples: Sample[]): Timed {
  const of = (pick: (s: Sample) => number | undefined) => {
    const v = samples.map(pick).filter((x): x is number => x !== undefined);
    return v.length ? median(v) : undefined;
  };
  const cpuMs = of((s) => s.cpuMs);
  const rssMiB = of((s) => s.rssMiB);
  return { wallMs: median(samples.map((s) => s.wallMs)), ...(cpuMs === undefined ? {} : { cpuMs }), ...(rssMiB === undefined ? {} : { rssMiB }) };
}

function checked(s: Sample): Sample {
  if (s.code !== 0) throw new Error(`a benchmark run failed (exit ${s.code}): ${s.stderr.slice(0, 500)}`);
  return s;
}

/** Medians of `runs` runs; fails loudly if any run fails (a benchmark of errors measures nothing). */
export async function repeat(runs: number, once: () => Promise<Sample>): Promise<Timed> {
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) samples.push(checked(await once()));
  return summary(samples);
}

/** Medians of `runs` runs of each, taken in turn (a, b, a, b, …) so that a machine getting
 *  busier or quieter during the run weighs on both sides alike. */
export async function interleave(runs: number, ...commands: Array<() => Promise<Sample>>): Promise<Timed[]> {
  const samples: Sample[][] = commands.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const [k, once] of commands.entries()) samples[k]?.push(checked(await once()));
  }
  return samples.map(summary);
}
