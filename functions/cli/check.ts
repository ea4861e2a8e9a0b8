import { readdirSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { ExitCode, asErrorList } from '../errors.js';
import { type Finding, formatFinding, fromError } from '../check/findings.js';
import { checkKustomization, kustomizationNames } from '../check/kustomization.js';
import { checkRendered } from '../check/rendered.js';
import { checkSource } from '../check/source.js';
import { defaultConfig, readConfig } from '../model/config.js';
import { providerSet } from '../providers/registry.js';
import { decryptAll } from '../render/decrypt.js';
import { retryPolicy } from '../render/retry.js';
import type { PlannedValue } from '../render/values.js';
import { all, flag, one } from './args.js';
import type { Command, Io } from './command.js';
import { readText } from './files.js';
import { usageError } from '../errors.js';

const skipDirs = new Set(['.git', 'node_modules', '.terraform']);

/** YAML files under the given paths (a file is taken as it is, whatever its name). */
function yamlFiles(paths: readonly string[], cwd: string): string[] {
  const out: string[] = [];
  const walk = (path: string, top: boolean) => {
    const full = resolve(cwd, path);
    const stat = statSync(full, { throwIfNoEntry: false });
    if (!stat) {
      if (top) throw usageError(`${path}: no such file or directory`);
      return;
    }
    if (stat.isDirectory()) {
      if (!top && skipDirs.has(basename(full))) return;
      for (const name of readdirSync(full).sort()) walk(join(path, name), false);
    } else if (top || /\.(ya?ml)$/.test(full) || kustomizationNames.includes(basename(full))) {
      out.push(path);
    }
  };
  for (const path of paths) walk(path, true);
  return out;
}

/** A path under the working directory, relative to it; anything else as it is. */
function shownPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel.startsWith('..') ? path : rel;
}

function exitCodeOf(findings: readonly Finding[]): number {
  return findings.length === 0 ? 0 : Math.max(...findings.map((f) => ExitCode[f.category]));
}

function report(findings: Finding[], summary: Record<string, number>, io: Io, json: boolean, decrypted = false): number {
  if (json) {
    io.stdout(`${JSON.stringify({ ok: findings.length === 0, ...summary, decrypted, findings }, null, 2)}\n`);
  } else {
    for (const f of findings) io.stdout(`${formatFinding(f)}\n`);
    const counts = `${Object.entries(summary)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}${decrypted ? ', all decrypted' : ''}`;
    io.stderr(findings.length === 0 ? `kmsecret check: ok (${counts})\n` : `kmsecret check: ${findings.length} problem${findings.length === 1 ? '' : 's'} (${counts})\n`);
  }
  return exitCodeOf(findings);
}

export const check: Command = {
  name: 'check',
  summary: 'check files offline (pre-commit, PR CI), or a rendered output (the deploy guard)',
  help: `Usage: kmsecret check [PATH…] [--decrypt] [--output json]
       kmsecret check --rendered [FILE…|-] [--allow-placeholder] [--output json]

Source check (default PATH: .), offline and without credentials:
  - every YAML document parses; KmsSecrets and KmsSecretTransformers match their schemas
  - every token is well formed and sits where it was bound (namespace, name, key)
  - no token where kmsecret-fn does not decrypt (a ConfigMap, a plain Secret)
  - no plain kind: Secret with data committed
  - no kustomization that renders a KmsSecret into another namespace than its values'
--decrypt also proves that every value decrypts with the current credentials
(one provider call per data key).

--rendered reads rendered manifests (stdin by default: a stream or a ResourceList)
and fails if a KmsSecret, a token or a shush ciphertext survived — the plugin did
not run — or if it is a placeholder render (unless --allow-placeholder).

Exit status: 0 clean, 3 problems found, 4 a value does not decrypt, 5 KMS unavailable.

Flags:
      --decrypt            also decrypt every value (source check)
      --rendered           check rendered output instead of sources
      --allow-placeholder  with --rendered: placeholder values are fine (PR pipelines)
      --prefix PREFIX      with --rendered: shush prefixes to look for (default KMS_ENCRYPTED_; repeatable)
  -o, --output FORMAT      text (default) or json

Examples:
  kmsecret check overlays/ base/
  kubectl kustomize --enable-alpha-plugins overlays/prod | kmsecret check --rendered`,
  flags: {
    decrypt: { type: 'boolean' },
    rendered: { type: 'boolean' },
    'allow-placeholder': { type: 'boolean' },
    prefix: { type: 'string', repeat: true },
    output: { type: 'string', short: 'o' },
  },
  async run(args, io) {
    const format = one(args, 'output') ?? 'text';
    if (format !== 'text' && format !== 'json') throw usageError(`--output ${format} is not text or json`);
    const json = format === 'json';
    if (flag(args, 'rendered')) {
      const sources = args.positional.length > 0 ? args.positional : ['-'];
      const findings: Finding[] = [];
      for (const source of sources) {
        const text = source === '-' ? new TextDecoder().decode(await io.readStdin()) : readText(source, io.cwd);
        findings.push(...checkRendered(text, source === '-' ? '(stdin)' : source, { allowPlaceholder: flag(args, 'allow-placeholder'), prefixes: all(args, 'prefix').length > 0 ? all(args, 'prefix') : defaultConfig.env.prefixes }));
      }
      return report(findings, { inputs: sources.length }, io, json);
    }
    const files = yamlFiles(args.positional.length > 0 ? args.positional : ['.'], io.cwd);
    const findings: Finding[] = [];
    const values: PlannedValue[] = [];
    let resources = 0;
    for (const file of files) {
      const shown = file;
      if (kustomizationNames.includes(basename(file))) findings.push(...checkKustomization(resolve(io.cwd, file)).map((f) => ({ ...f, file: shownPath(f.file ?? '', io.cwd) })));
      try {
        const result = checkSource(shown, readText(file, io.cwd));
        findings.push(...result.findings);
        values.push(...result.values);
        resources += result.resources;
      } catch (error) {
        findings.push(...asErrorList(error).map((e) => fromError(e)));
      }
    }
    if (flag(args, 'decrypt') && findings.length === 0 && values.length > 0) {
      try {
        const config = readConfig(undefined, io.env);
        await decryptAll(values, { providers: providerSet(io.env), concurrency: config.concurrency, timeoutMs: config.timeoutMs, retry: retryPolicy(io.env) });
      } catch (error) {
        findings.push(...asErrorList(error).map((e) => fromError(e)));
      }
    }
    return report(findings, { files: files.length, resources, values: values.length }, io, json, flag(args, 'decrypt') && findings.length === 0);
  },
};
