// The function config, from whichever form the orchestrator hands over:
//   none / kpt's empty ConfigMap     defaults
//   ConfigMap data (kpt --fn-config, `kpt fn eval -- key=value`)
//   KmsSecretTransformer             kustomize `transformers:` or a Kptfile pipeline
//   KmsSecret                        kustomize `generators:` (the resource is its own config)
// and then the environment, which the operator of the pipeline controls.
import { type ErrorPlace, inputError } from '../errors.js';
import { resourceRef, stringMap } from '../krm/identity.js';
import { isKmsSecret, kmsSecretApiVersion, transformerKind } from './kmssecret.js';
import { builtinPodKinds } from '../render/pod-specs.js';
import { validate } from './validate.js';

export type EnvOutput = 'secretRef' | 'inline';

export interface RenderConfig {
  mode: 'decrypt' | 'placeholder';
  concurrency: number;
  timeoutMs: number;
  env: {
    output: EnvOutput;
    prefixes: string[];
    context: Record<string, string>;
    fieldPaths: string[];
  };
  /** Set when the function config is a KmsSecret: kustomize's generator form. */
  generator?: Record<string, unknown>;
  /** KMSECRET_NAMESPACES: the only namespaces whose values this run may decrypt.
   *  From the environment only — a repository must not be able to widen it. */
  allowedNamespaces?: string[];
}

export const defaultConfig: RenderConfig = {
  mode: 'decrypt',
  concurrency: 16,
  timeoutMs: 30_000,
  env: { output: 'secretRef', prefixes: ['KMS_ENCRYPTED_'], context: {}, fieldPaths: [] },
};

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
    throw inputError(`ConfigMap function config has unknown key${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`, place, `known keys: ${configMapKeys.join(', ')}`);
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
        throw inputError(`env.prefixes ${a} and ${b} overlap: a variable named ${b}X would have two meanings`, { ...place, field: 'env.prefixes' }, 'keep only one of them');
      }
    }
  }
  if (new Set(prefixes).size !== prefixes.length) throw inputError('env.prefixes lists a prefix twice', { ...place, field: 'env.prefixes' });
  for (const entry of env.fieldPaths ?? []) {
    const path = entry.includes('=') ? entry.slice(entry.indexOf('=') + 1) : entry;
    if (path.split('.').some((segment) => segment === '')) throw inputError(`env.fieldPaths entry "${entry}" has an empty path segment`, { ...place, field: 'env.fieldPaths' }, 'write it as KIND=spec.template.spec');
    const kind = entry.includes('=') ? entry.slice(0, entry.indexOf('=')) : undefined;
    if (kind && builtinPodKinds.includes(kind)) {
      throw inputError(`env.fieldPaths names ${kind}, whose pod spec kmsecret-fn already knows: its env values would be decrypted twice`, { ...place, field: 'env.fieldPaths' }, `remove the ${kind} entry`);
    }
  }
}

function fromTransformer(value: Record<string, unknown>, place: ErrorPlace): RenderConfig {
  validate('KmsSecretTransformer', value, place);
  const env = (value.env ?? {}) as Partial<RenderConfig['env']>;
  contradictions(env, place);
  return {
    mode: (value.mode as RenderConfig['mode'] | undefined) ?? defaultConfig.mode,
    concurrency: (value.concurrency as number | undefined) ?? defaultConfig.concurrency,
    timeoutMs: value.timeoutSeconds !== undefined ? (value.timeoutSeconds as number) * 1000 : defaultConfig.timeoutMs,
    env: {
      output: env.output ?? defaultConfig.env.output,
      prefixes: env.prefixes ?? defaultConfig.env.prefixes,
      context: env.context ?? {},
      fieldPaths: env.fieldPaths ?? [],
    },
  };
}

function fromFunctionConfig(value: Record<string, unknown> | undefined): RenderConfig {
  if (value === undefined || Object.keys(value).length === 0) return structuredClone(defaultConfig);
  const place: ErrorPlace = { resource: resourceRef(value), field: 'functionConfig' };
  if (isKmsSecret(value)) return { ...structuredClone(defaultConfig), generator: value };
  if (value.kind === transformerKind) return fromTransformer(value, place);
  if (value.kind === 'ConfigMap' && (value.apiVersion === 'v1' || value.apiVersion === undefined)) {
    return fromTransformer(fromConfigMap(value, place), place);
  }
  throw inputError(
    `function config of kind ${String(value.kind)} is not one kmsecret-fn reads`,
    place,
    'use a KmsSecret (kustomize generators:), a KmsSecretTransformer, or a ConfigMap',
  );
}

function envNumber(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || n > max) throw inputError(`${name}=${text} is not a number from ${min} to ${max}`);
  return n;
}

export function isTruthy(text: string | undefined): boolean {
  return text !== undefined && /^(1|true|yes|on)$/i.test(text.trim());
}

export function readConfig(functionConfig: Record<string, unknown> | undefined, env: NodeJS.ProcessEnv): RenderConfig {
  const config = fromFunctionConfig(functionConfig);
  if (isTruthy(env.KMSECRET_PLACEHOLDER)) config.mode = 'placeholder';
  const concurrency = envNumber(env, 'KMSECRET_CONCURRENCY', 1, 256);
  if (concurrency !== undefined) config.concurrency = Math.floor(concurrency);
  const allowed = env.KMSECRET_NAMESPACES?.split(',').map((n) => n.trim()).filter((n) => n !== '');
  if (allowed && allowed.length > 0) config.allowedNamespaces = allowed;
  const timeout = envNumber(env, 'KMSECRET_TIMEOUT', 0.001, 3600);
  if (timeout !== undefined) config.timeoutMs = timeout * 1000;
  return config;
}
