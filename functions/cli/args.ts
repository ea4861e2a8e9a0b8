// A small flag parser with kubectl's conventions: --flag value, --flag=value,
// -n value, repeatable flags, booleans, and `--` to end the flags.
import { usageError } from '../errors.js';

export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  repeat?: boolean;
}

export type FlagSpecs = Record<string, FlagSpec>;

export interface ParsedArgs {
  strings: Map<string, string[]>;
  booleans: Set<string>;
  positional: string[];
}

export function parseArgs(argv: readonly string[], specs: FlagSpecs, command: string): ParsedArgs {
  const out: ParsedArgs = { strings: new Map(), booleans: new Set(), positional: [] };
  const byShort = new Map(Object.entries(specs).flatMap(([name, spec]) => (spec.short ? [[spec.short, name] as const] : [])));
  const help = `see \`kmsecret ${command} --help\``;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      out.positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      out.positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const raw = eq === -1 ? arg : arg.slice(0, eq);
    const name = raw.startsWith('--') ? raw.slice(2) : byShort.get(raw.slice(1));
    const spec = name === undefined ? undefined : specs[name];
    if (name === undefined || !spec) throw usageError(`unknown flag ${raw}`, help);
    if (spec.type === 'boolean') {
      if (eq !== -1) throw usageError(`${raw} takes no value`, help);
      out.booleans.add(name);
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      i++;
    }
    if (value === undefined) throw usageError(`${raw} needs a value`, help);
    const values = out.strings.get(name) ?? [];
    if (values.length > 0 && !spec.repeat) throw usageError(`${raw} given twice`, help);
    values.push(value);
    out.strings.set(name, values);
  }
  return out;
}

export function one(args: ParsedArgs, name: string): string | undefined {
  return args.strings.get(name)?.[0];
}

export function all(args: ParsedArgs, name: string): string[] {
  return args.strings.get(name) ?? [];
}

export function flag(args: ParsedArgs, name: string): boolean {
  return args.booleans.has(name);
}
