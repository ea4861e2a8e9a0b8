// `kmsecret check` on source files, offline: every resource readable, every
// KmsSecret and config valid, every token well formed and sitting where it was
// bound (the header says where, no key needed) — in the namespace the
// kustomizations put it in — no token where nothing decrypts it, and no plain
// Secret with data committed next to them.
import { asErrorList, inputError, KmsecretError } from '../errors.js';
import { annotationsOf, resourceRef } from '../k8s/resource.js';
import { ItemList, readStream, type SourceItem } from '../krm/resource-list.js';
import { defaultEnv, readConfig, type RenderConfig } from '../model/config.js';
import { generatorKind, kmsSecretApiVersion, transformerKind } from '../model/kmssecret.js';
import { readSettings } from '../settings.js';
import { providers } from '../providers/registry.js';
import { plan } from '../render/plan.js';
import type { PlannedValue } from '../render/values.js';
import type { Placement } from './kustomization.js';

export interface SourceCheck {
  errors: KmsecretError[];
  /** For --decrypt: the values, once the file is sound. */
  values: PlannedValue[];
  resources: number;
  /** The same error at its field's own line, for the errors found later (--decrypt). */
  locate(error: KmsecretError): KmsecretError;
}

/** kustomize's and kpt's bookkeeping, written by hand into a source: kmsecret trusts kustomize's
 *  rename record (previousNames) in a render, so a source must not carry one. */
function handWrittenBookkeeping(item: SourceItem): KmsecretError | undefined {
  const value = item.parsed.value;
  const keys = Object.keys(annotationsOf(value)).filter((k) => k.startsWith('internal.config.kubernetes.io/'));
  if (keys.length === 0) return undefined;
  return inputError(
    `holds kustomize's internal bookkeeping (${keys.join(', ')}) written by hand, which can change where a render binds its values`,
    { resource: resourceRef(value), field: 'metadata.annotations', ...item.file() },
    'remove those annotations: kustomize writes them itself',
  );
}

/** A KmsSecretTransformer or KmsSecretGenerator that does not match its schema: the render
 *  that uses it would fail (kustomize reads it only then, so check says it now). */
function invalidConfig(item: SourceItem): KmsecretError | undefined {
  const value = item.parsed.value;
  if (value.apiVersion !== kmsSecretApiVersion || (value.kind !== transformerKind && value.kind !== generatorKind)) return undefined;
  try {
    readConfig(value, readSettings({}));
    return undefined;
  } catch (error) {
    const [first] = asErrorList(error);
    return first?.at(item.file());
  }
}

function plainSecret(item: SourceItem): KmsecretError | undefined {
  const value = item.parsed.value;
  if (value.kind !== 'Secret' || value.apiVersion !== 'v1') return undefined;
  const filled = ['data', 'stringData'].find((f) => {
    const m = value[f];
    return typeof m === 'object' && m !== null && Object.keys(m).length > 0;
  });
  if (!filled) return undefined;
  return inputError(
    `is a plain Secret with ${filled}: anyone who can read the repository can read its values`,
    { resource: resourceRef(value), field: filled, ...item.file() },
    'encrypt it: kmsecret create NAME -n NAMESPACE --key KEY --from-… (a KmsSecret), then delete this file',
  );
}

/** An error at a field of an item is shown at the field's own line. */
function atFieldLine(error: KmsecretError, items: readonly SourceItem[]): KmsecretError {
  const item = items.find((i) => i.origin?.line === error.place.line);
  const line = item && error.place.field ? item.lineOf(error.place.field) : undefined;
  return line ? new KmsecretError(error.category, error.message, { ...error.place, line }, error.hint) : error;
}

export const defaultCheckConfig: RenderConfig = { mode: 'decrypt', concurrency: 1, timeoutMs: 1, env: defaultEnv };

/** The value at a dotted field path such as `spec.containers[0].env[1].name`. */
function at(value: unknown, field: string): unknown {
  const segments = field.split(/\.|(?=\[)/).map((s) => (/^\[\d+\]$/.test(s) ? Number(s.slice(1, -1)) : s));
  return segments.reduce<unknown>(
    (node, seg) => (typeof node === 'object' && node !== null ? (node as Record<string | number, unknown>)[seg] : undefined),
    value,
  );
}

/**
 * A hint that names the command that fits where the value sits: `encrypt-value` with the
 * workload and variable for an env value, `set FILE KEY` for a KmsSecret's — in place of
 * the render's general "write the value again with kmsecret set".
 */
function fittingHint(error: KmsecretError, items: readonly SourceItem[], file: string): KmsecretError {
  const { field, resource } = error.place;
  const { hint } = error;
  if (!field || hint === undefined || !/`kmsecret (set|encrypt-value)`/.test(hint)) return error;
  const env = /^(.*\benv\[\d+\])\.value$/.exec(field);
  let command: string | undefined;
  if (env && resource?.name) {
    const item = items.find((i) => i.origin?.line === error.place.line);
    const variable = item ? at(item.parsed.value, `${env[1]}.name`) : undefined;
    if (typeof variable === 'string' && /^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(variable)) {
      command = `printf %s "$VALUE" | kmsecret encrypt-value --key KEY${resource.namespace ? ` -n ${resource.namespace}` : ''} --workload ${resource.name} --env ${variable}`;
    }
  } else {
    const key = /^data\.([-._a-zA-Z0-9]+)$/.exec(field)?.[1] ?? /^data\["([-._a-zA-Z0-9]+)"\]$/.exec(field)?.[1];
    if (key) command = `kmsecret set ${file} ${key} (the value on stdin)`;
  }
  if (!command) return error;
  const moved = /overlay/.test(hint) ? '; an overlay that changes the namespace needs its own values' : '';
  return new KmsecretError(error.category, error.message, error.place, `write the value again here: ${command} (or restore the token from git)${moved}`);
}

export function checkSource(file: string, text: string, placement: Placement | undefined, config: RenderConfig = defaultCheckConfig): SourceCheck {
  const items = readStream(text, file);
  const errors: KmsecretError[] = [];
  for (const item of items) {
    try {
      for (const problem of [plainSecret(item), handWrittenBookkeeping(item), invalidConfig(item)]) if (problem) errors.push(problem);
      // What the plan must see is where the kustomization puts the resource.
      if (placement) {
        const metadata = (item.parsed.value.metadata ??= {}) as Record<string, unknown>;
        if (typeof metadata === 'object') metadata.namespace = placement.namespace;
      }
    } catch (error) {
      errors.push(...asErrorList(error));
    }
  }
  let values: PlannedValue[] = [];
  const planned = plan(ItemList.of(items.filter((item) => item.readable)), config, { orchestrator: 'file' });
  if (Array.isArray(planned)) {
    const moved = placement ? ` (${placement.kustomization} renders it into namespace ${placement.namespace})` : '';
    errors.push(
      ...planned.map((e) =>
        moved && /encrypted as|bound to namespace/.test(e.message) ? new KmsecretError(e.category, `${e.message}${moved}`, e.place, e.hint) : e,
      ),
    );
  } else {
    values = planned.values;
    for (const value of values) {
      if (value.form !== 'token') continue;
      const problem = providers[value.token.provider].keyIdProblem?.(value.token.keyId, value.token.wrappedKey);
      if (problem) errors.push(inputError(`value's token: ${problem}`, value.place, 'restore the token from git; only `kmsecret rotate` changes a key'));
    }
  }
  const locate = (e: KmsecretError) => atFieldLine(fittingHint(e, items, file), items);
  return { errors: errors.map(locate), values, resources: items.length, locate };
}
