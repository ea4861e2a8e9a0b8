// kpt writes a function's output back into the package's files unless it was
// run with `-o stdout|unwrap|DIR` (or reads the package from stdin). A render
// that writes decrypted Secrets in place would put plaintext into the user's
// git checkout. The function cannot see kpt's flags directly, so it looks at
// the kpt process it runs under (/proc on Linux); when it cannot tell, it
// assumes the unsafe case and leaves the sources as they are.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { SourceItem } from './resource-list.js';

export type KptDestination = 'not-kpt' | 'in-place' | 'elsewhere' | 'unknown';

/** kpt annotates every item with its file; kustomize does not. */
export function isKptRun(items: readonly SourceItem[]): boolean {
  return items.some((item) => item.text.includes('internal.config.kubernetes.io/path') || item.text.includes('config.kubernetes.io/path:'));
}

function cmdline(pid: number, proc: string): string[] | undefined {
  try {
    return readFileSync(`${proc}/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
  } catch {
    return undefined;
  }
}

function parentOf(pid: number, proc: string): number | undefined {
  try {
    // Field 4 of /proc/PID/stat, after the parenthesised command name (which may hold spaces).
    const stat = readFileSync(`${proc}/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    return Number.isInteger(ppid) && ppid > 0 ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/** Where a kpt command line sends its output. */
export function kptDestination(argv: readonly string[]): 'in-place' | 'elsewhere' {
  // Words after `--` are the function's key=value config, not kpt's flags.
  const all = argv.slice(1);
  const args = all.includes('--') ? all.slice(0, all.indexOf('--')) : all;
  const fn = args.indexOf('fn');
  const sub = fn >= 0 ? args[fn + 1] : undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if ((arg === '-o' || arg === '--output') && args[i + 1]) return 'elsewhere';
    if (/^(-o=?|--output=).+/.test(arg)) return 'elsewhere';
  }
  // `kpt fn eval -` reads the package from stdin and writes it to stdout.
  if (sub === 'eval' && args.slice(fn + 2).includes('-')) return 'elsewhere';
  return 'in-place';
}

export function kptRunDestination(env: NodeJS.ProcessEnv, ppid: number = process.ppid, proc = '/proc'): Exclude<KptDestination, 'not-kpt'> {
  const declared = env.KMSECRET_KPT_OUTPUT;
  if (declared) return declared === 'in-place' ? 'in-place' : 'elsewhere';
  // The function may run under a wrapper script: look a few processes up.
  for (let pid: number | undefined = ppid, depth = 0; pid && depth < 6; pid = parentOf(pid, proc), depth++) {
    const argv = cmdline(pid, proc);
    if (!argv) return 'unknown';
    if (basename(argv[0] ?? '') === 'kpt') return kptDestination(argv);
  }
  return 'unknown';
}
