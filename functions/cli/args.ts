// A small flag parser with kubectl's conventions: --flag value, --flag=value,
// -n value, repeatable flags, booleans, and `--` to end the flags.
import { quoteArgument, usageError } from '../errors.js';

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
    if ((raw === '-o' || raw === '--output') && !spec && specs['output-file']) {
      // age-keygen's and sops' habit: -o FILE. In kmsecret, as in kubectl, -o is a format.
      throw usageError(`${command} has no output formats: -o/--output names a format in kmsecret, as in kubectl`, `write a file with ${writeFlag}`);
    }
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

/** The one flag every command that writes a file takes for it (kubeseal's -w). */
export const writeFlag = '--output-file FILE (-w FILE)';
export const outputFileFlag: FlagSpec = { type: 'string', short: 'w' };
export const outputFlag: FlagSpec = { type: 'string', short: 'o' };

/**
 * The output format, as kubectl's -o: one of `formats` (the first is the default). A value
 * that is not a format is a usage error, never a file name: `-o json` must not write a file
 * named json. `alias` is an older name of the same flag (decrypt --format).
 */
export function outputFormat<F extends string>(args: ParsedArgs, formats: readonly F[], writes: boolean, alias?: string): F {
  const given = one(args, 'output');
  const old = alias ? one(args, alias) : undefined;
  if (given !== undefined && old !== undefined) throw usageError(`-o/--output and --${alias} are the same flag: give one`);
  const value = given ?? old;
  if (value === undefined) return formats[0] as F;
  if ((formats as readonly string[]).includes(value)) return value as F;
  const flagName = given !== undefined ? '-o/--output' : `--${alias}`;
  const looksLikeFile = /[/.\\]/.test(value) || value === '';
  throw usageError(
    `${flagName} takes a format: ${formats.join(', ')} (got ${value === '' ? 'nothing' : quoteArgument(value)})`,
    looksLikeFile
      ? writes
        ? `-o is the output format, as in kubectl; write a file with ${writeFlag}`
        : '-o is the output format, as in kubectl; to keep the output, redirect it: > FILE'
      : undefined,
  );
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
