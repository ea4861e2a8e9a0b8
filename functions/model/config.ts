// The function config, from whichever form the orchestrator hands over:
//   none / kpt's empty ConfigMap     defaults
//   ConfigMap data (kpt --fn-config, `kpt fn eval -- key=value`)
//   KmsSecretTransformer             kustomize `transformers:` or a Kptfile pipeline
//   KmsSecret                        kustomize `generators:` (the resource is its own config)
// and then the environment, which the operator of the pipeline controls: the
// config may ask for less concurrency or a shorter deadline than the pipeline
// allows (settings.ts), never more.
import { type ErrorPlace, inputError } from '../errors.js';
import { builtinPodKinds } from '../k8s/pod-specs.js';
import { resourceRef, stringMap } from '../k8s/resource.js';
import type { Settings } from '../settings.js';
import { contextKeyPrefix } from '../token/binding.js';
import { generatorKind, isKmsSecret, kmsSecretApiVersion, transformerKind } from './kmssecret.js';
import { validate } from './validate.js';

export type EnvOutput = 'secretRef' | 'inline';

export interface RenderConfig {
  mode: 'decrypt' | 'placeholder';
  concurrency: number;
  timeoutMs: number;
  env: {
    output: EnvOutput;
    prefixes: string[];
    /** shush's --context: the KMS encryption context of shush values. */
    context: Record<string, string>;
    fieldPaths: string[];
  };
  /** Set when the function config is a KmsSecret: kustomize's generator form. */
  generator?: Record<string, unknown>;
  /** Set when the function config is a KmsSecretGenerator: the KmsSecret files to generate from. */
  generatorFiles?: string[];
}

/** What a config asks for before the environment's ceilings apply (concurrency and
 *  timeout unset: the pipeline's own). */
type AskedConfig = Omit<RenderConfig, 'concurrency' | 'timeoutMs'> & { concurrency?: number; timeoutMs?: number };

export const defaultEnv: RenderConfig['env'] = { output: 'secretRef', prefixes: ['KMS_ENCRYPTED_'], context: {}, fieldPaths: [] };

function defaults(): AskedConfig {
  return { mode: 'decrypt', env: structuredClone(defaultEnv) };
}

const configMapKeys = ['mode', 'concurrency', 'timeoutSeconds', 'envOutput', 'envPrefixes', 'envContext', 'envFieldPaths'];

function list(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** ConfigMap data → the KmsSecretTransformer shape, so one schema validates both. */
function fromConfigMap(value: Record<string, unknown>, place: ErrorPlace): Record<string, unknown> {
  const data = stringMap(value.data);
  const unknown = Object.keys(data).filter((k) => !configMapKeys.includes(k));
  if (unknown.length > 0) {
    throw inputError(
      `ConfigMap function config has unknown key${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`,
      place,
      `known keys: ${configMapKeys.join(', ')}`,
    );
  }
  const out: Record<string, unknown> = { apiVersion: kmsSecretApiVersion, kind: transformerKind, metadata: {} };
  if (data.mode !== undefined) out.mode = data.mode;
  if (data.concurrency !== undefined) out.concurrency = data.concurrency;
  if (data.timeoutSeconds !== undefined) out.timeoutSeconds = data.timeoutSeconds;
  const env: Record<string, unknown> = {};
  if (data.envOutput !== undefined) env.output = data.envOutput;
  if (data.envPrefixes !== undefined) env.prefixes = list(data.envPrefixes);
  if (data.envFieldPaths !== undefined) env.fieldPaths = list(data.envFieldPaths);
  if (data.envContext !== undefined) {
    env.context = Object.fromEntries(
      list(data.envContext).map((pair) => {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw inputError(`envContext entry "${pair}" is not KEY=VALUE`, place);
        return [pair.slice(0, eq), pair.slice(eq + 1)];
      }),
    );
  }
  if (Object.keys(env).length > 0) out.env = env;
  return out;
}

/** What the schema cannot say: options that are each valid but do not go together. */
function contradictions(env: Partial<RenderConfig['env']>, place: ErrorPlace): void {
  const prefixes = env.prefixes ?? [];
  for (const a of prefixes) {
    for (const b of prefixes) {
      if (a !== b && b.startsWith(a)) {
        throw inputError(
          `env.prefixes ${a} and ${b} overlap: a variable named ${b}X would have two meanings`,
          { ...place, field: 'env.prefixes' },
          'keep only one of them',
        );
      }
    }
  }
  if (new Set(prefixes).size !== prefixes.length) throw inputError('env.prefixes lists a prefix twice', { ...place, field: 'env.prefixes' });
  // A shush value is a raw KMS ciphertext the repository names: with kmsecret's own context
  // keys it could be a kmsecret data key, which would then land in the output as a "value".
  if (Object.keys(env.context ?? {}).some((k) => k.toLowerCase().startsWith(contextKeyPrefix))) {
    throw inputError(
      `env.context may not hold keys starting with ${contextKeyPrefix}: those belong to kmsecret's own data keys`,
      { ...place, field: 'env.context' },
      'shush values are encrypted with contexts of your own (shush --context KEY=VALUE); use other keys',
    );
  }
  for (const entry of env.fieldPaths ?? []) {
    const path = entry.includes('=') ? entry.slice(entry.indexOf('=') + 1) : entry;
    if (path.split('.').some((segment) => segment === ''))
      throw inputError(
        `env.fieldPaths entry "${entry}" has an empty path segment`,
        { ...place, field: 'env.fieldPaths' },
        'write it as KIND=spec.template.spec',
      );
    const kind = entry.includes('=') ? entry.slice(0, entry.indexOf('=')) : undefined;
    if (kind && builtinPodKinds.includes(kind)) {
      throw inputError(
        `env.fieldPaths names ${kind}, whose pod spec kmsecret-fn already knows: its env values would be decrypted twice`,
        { ...place, field: 'env.fieldPaths' },
        `remove the ${kind} entry`,
      );
    }
  }
}

function fromTransformer(value: Record<string, unknown>, place: ErrorPlace): AskedConfig {
  validate('KmsSecretTransformer', value, place);
  const env = (value.env ?? {}) as Partial<RenderConfig['env']>;
  contradictions(env, place);
  const asked: AskedConfig = {
    mode: (value.mode as RenderConfig['mode'] | undefined) ?? 'decrypt',
    env: {
      output: env.output ?? defaultEnv.output,
      prefixes: env.prefixes ?? defaultEnv.prefixes,
      context: env.context ?? {},
      fieldPaths: env.fieldPaths ?? [],
    },
  };
  if (value.concurrency !== undefined) asked.concurrency = Number(value.concurrency);
  if (value.timeoutSeconds !== undefined) asked.timeoutMs = Number(value.timeoutSeconds) * 1000;
  return asked;
}

function fromFunctionConfig(value: Record<string, unknown> | undefined): AskedConfig {
  if (value === undefined || Object.keys(value).length === 0) return defaults();
  const place: ErrorPlace = { resource: resourceRef(value), field: 'functionConfig' };
  if (isKmsSecret(value)) return { ...defaults(), generator: value };
  if (value.kind === transformerKind) return fromTransformer(value, place);
  if (value.kind === generatorKind) {
    validate('KmsSecretGenerator', value, place);
    const asked: AskedConfig = { ...defaults(), generatorFiles: value.files as string[] };
    if (value.concurrency !== undefined) asked.concurrency = Number(value.concurrency);
    if (value.timeoutSeconds !== undefined) asked.timeoutMs = Number(value.timeoutSeconds) * 1000;
    return asked;
  }
  if (value.kind === 'ConfigMap' && (value.apiVersion === 'v1' || value.apiVersion === undefined)) {
    return fromTransformer(fromConfigMap(value, place), place);
  }
  throw inputError(
    `function config of kind ${String(value.kind)} is not one kmsecret-fn reads`,
    place,
    'use a KmsSecret or a KmsSecretGenerator (kustomize generators:), a KmsSecretTransformer, or a ConfigMap',
  );
}

/** The function config, within what the pipeline's environment allows. */
export function readConfig(functionConfig: Record<string, unknown> | undefined, settings: Settings): RenderConfig {
  const asked = fromFunctionConfig(functionConfig);
  return {
    ...asked,
    mode: settings.placeholder ? 'placeholder' : asked.mode,
    concurrency: Math.min(asked.concurrency ?? settings.concurrency, settings.concurrency),
    timeoutMs: Math.min(asked.timeoutMs ?? settings.timeoutMs, settings.timeoutMs),
  };
}
