// kpt writes a function's output back into the package's files unless it was
// run with `-o stdout|unwrap|DIR` (or reads the package from stdin). A render
// that writes decrypted Secrets in place would put plaintext into the user's
// git checkout. The function cannot see kpt's flags directly, so it looks at
// the kpt process it runs under (/proc on Linux). What it sees there decides;
// KMSECRET_KPT_OUTPUT only speaks where it sees nothing (a container), and
// where neither says, the unsafe case is assumed and the sources stay as they are.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { ItemList } from './resource-list.js';

export type KptDestination = 'in-place' | 'elsewhere';

/** kpt annotates every item with its file; kustomize does not. */
export function isKptRun(items: ItemList): boolean {
  return items.mentions('internal.config.kubernetes.io/path') || items.mentions('config.kubernetes.io/path:');
}

function cmdline(pid: number, proc: string): string[] | undefined {
  try {
    // Arguments are NUL-terminated; an empty argument ("") is a real one and must stay.
    const text = readFileSync(`${proc}/${pid}/cmdline`, 'utf8');
    return (text.endsWith('\0') ? text.slice(0, -1) : text).split('\0');
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

/** Where a kpt command line sends its output. An output flag with an empty value is no
 *  output flag: kpt then writes in place. */
export function kptDestination(argv: readonly string[]): KptDestination {
  // Words after `--` are the function's key=value config, not kpt's flags.
  const all = argv.slice(1);
  const args = all.includes('--') ? all.slice(0, all.indexOf('--')) : all;
  const fn = args.indexOf('fn');
  const sub = fn >= 0 ? args[fn + 1] : undefined;
  let output = '';
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '-o' || arg === '--output') output = args[++i] ?? '';
    else if (arg.startsWith('--output=')) output = arg.slice('--output='.length);
    else if (/^-o./.test(arg)) output = arg.slice(arg[2] === '=' ? 3 : 2);
  }
  if (output.trim() !== '') return 'elsewhere';
  // `kpt fn eval -` reads the package from stdin and writes it to stdout.
  if (sub === 'eval' && args.slice(fn + 2).includes('-')) return 'elsewhere';
  return 'in-place';
}

/** What this kmsecret-fn process can see of its kpt: the destination, or undefined. */
export function visibleKptDestination(ppid: number = process.ppid, proc = '/proc'): KptDestination | undefined {
  // The function may run under a wrapper script: look a few processes up.
  for (let pid: number | undefined = ppid, depth = 0; pid && depth < 6; pid = parentOf(pid, proc), depth++) {
    const argv = cmdline(pid, proc);
    if (!argv) return undefined;
    if (basename(argv[0] ?? '') === 'kpt') return kptDestination(argv);
  }
  return undefined;
}

/** The destination: what the function sees of kpt decides (a declaration may only narrow it
 *  to in place); the environment's `stdout` counts only where it sees nothing. Undefined:
 *  nobody can tell. */
export function kptRunDestination(declared: 'stdout' | 'in-place' | undefined, visible: KptDestination | undefined): KptDestination | undefined {
  if (declared === 'in-place') return 'in-place';
  if (visible) return visible;
  return declared === 'stdout' ? 'elsewhere' : undefined;
}
