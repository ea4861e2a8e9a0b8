import { readdirSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { asErrorList, errorRecord, exitCodeOf, formatError, KmsecretError, usageError } from '../errors.js';
import { kustomizationNames, viewKustomizations } from '../check/kustomization.js';
import { checkRendered } from '../check/rendered.js';
import { checkSource, defaultCheckConfig } from '../check/source.js';
import { parseDocuments } from '../krm/yaml.js';
import { defaultEnv, readConfig, type RenderConfig } from '../model/config.js';
import { decrypt } from '../render/decrypt.js';
import type { PlannedValue } from '../render/values.js';
import { all, flag, outputFlag, outputFormat } from './args.js';
import type { Command, Context } from './command.js';
import { readText } from './files.js';

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

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function report(errors: readonly KmsecretError[], summary: Record<string, number>, ctx: Context, json: boolean, decrypted = false): number {
  if (json) {
    ctx.stdout(`${JSON.stringify({ ok: errors.length === 0, ...summary, decrypted, findings: errors.map(errorRecord) }, null, 2)}\n`);
  } else {
    for (const e of errors) ctx.stdout(`${formatError(e)}\n`);
    const counts = `${Object.entries(summary)
      .map(([k, v]) => `${v} ${v === 1 ? k.replace(/s$/, '') : k}`)
      .join(', ')}${decrypted ? ', all decrypted' : ''}`;
    ctx.stderr(errors.length === 0 ? `kmsecret check: ok (${counts})\n` : `kmsecret check: ${plural(errors.length, 'problem')} (${counts})\n`);
  }
  return exitCodeOf(errors);
}

function transformerConfig(text: string, file: string, ctx: Context): RenderConfig {
  const value = parseDocuments(text, file)[0]?.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return defaultCheckConfig;
  return readConfig(value as Record<string, unknown>, ctx.settings);
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
    output: outputFlag,
  },
  async run(args, ctx) {
    const json = outputFormat(args, ['text', 'json'] as const, false) === 'json';
    if (flag(args, 'rendered')) {
      const sources = args.positional.length > 0 ? args.positional : ['-'];
      const errors: KmsecretError[] = [];
      for (const source of sources) {
        const text = source === '-' ? new TextDecoder().decode(await ctx.readStdin()) : readText(source, ctx.cwd);
        const prefixes = all(args, 'prefix').length > 0 ? all(args, 'prefix') : defaultEnv.prefixes;
        const { allowedNamespaces } = ctx.settings;
        const options = { allowPlaceholder: flag(args, 'allow-placeholder'), prefixes, ...(allowedNamespaces ? { allowedNamespaces } : {}) };
        errors.push(...checkRendered(text, source === '-' ? '(stdin)' : source, options));
      }
      return report(errors, { inputs: sources.length }, ctx, json);
    }
    const paths = args.positional.length > 0 ? args.positional : ['.'];
    const found = yamlFiles(paths, ctx.cwd);
    const kustomizations = viewKustomizations(
      found.filter((f) => kustomizationNames.includes(basename(f))).map((f) => resolve(ctx.cwd, f)),
      ctx.cwd,
    );
    // What the kustomizations include is checked too, where it lands (a base outside PATHs).
    const seen = new Set(found.map((f) => resolve(ctx.cwd, f)));
    const included = [...new Set([...kustomizations.placements.keys(), ...kustomizations.configs.keys()])].filter((f) => !seen.has(f));
    const files = [...found, ...included.map((f) => shownPath(f, ctx.cwd))];
    const errors: KmsecretError[] = [...kustomizations.errors];
    const values: PlannedValue[] = [];
    const configs = new Map<string, RenderConfig>();
    const locators = new Map<string, (error: KmsecretError) => KmsecretError>();
    let resources = 0;
    for (const file of files) {
      try {
        const absolute = resolve(ctx.cwd, file);
        const configFile = kustomizations.configs.get(absolute);
        let config = defaultCheckConfig;
        if (configFile) {
          // The KmsSecretTransformer that decrypts the file: its shush prefixes and context, its pod spec paths.
          if (!configs.has(configFile)) {
            try {
              configs.set(configFile, transformerConfig(readText(configFile, ctx.cwd), shownPath(configFile, ctx.cwd), ctx));
            } catch (error) {
              // Said once, for the config file (by its own check when it is among the files checked);
              // its files are checked with the defaults.
              configs.set(configFile, defaultCheckConfig);
              if (!seen.has(configFile)) errors.push(...asErrorList(error).map((e) => e.at({ file: shownPath(configFile, ctx.cwd), line: 1 })));
            }
          }
          config = configs.get(configFile) as RenderConfig;
        }
        const result = checkSource(file, readText(file, ctx.cwd), kustomizations.placements.get(absolute), config);
        errors.push(...result.errors);
        values.push(...result.values);
        locators.set(file, result.locate);
        resources += result.resources;
      } catch (error) {
        errors.push(...asErrorList(error));
      }
    }
    if (flag(args, 'decrypt') && errors.length === 0 && values.length > 0) {
      try {
        await decrypt(values, ctx.keys);
      } catch (error) {
        errors.push(...asErrorList(error).map((e) => (locators.get(e.place.file ?? '') ?? ((x: KmsecretError) => x))(e)));
      }
    }
    return report(errors, { files: files.length, resources, values: values.length }, ctx, json, flag(args, 'decrypt') && errors.length === 0);
  },
};
