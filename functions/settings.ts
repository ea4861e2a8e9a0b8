// The one place that reads environment variables. Everything the pipeline's
// operator controls comes from here, validated: an invalid value is an error
// that names the variable, never silently replaced by a default.
//
// The variables that narrow what a run may decrypt (KMSECRET_NAMESPACES,
// KMSECRET_KMS_KEYS, KMSECRET_MAX_DATA_KEYS) and the ceilings on what a
// repository's function config may ask for (KMSECRET_CONCURRENCY,
// KMSECRET_TIMEOUT) exist only here: a repository cannot set or widen them.
// An allowlist that is set but empty allows nothing (fail closed); unset means
// no restriction.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { usageError } from './errors.js';

export interface RetrySettings {
  /** Attempts per provider call, the first included. */
  maxAttempts: number;
  /** Backoff base; each retry waits a random time up to base × 2^(attempt-1), at most capMs. */
  baseMs: number;
  capMs: number;
}

export interface Settings {
  placeholder: boolean;
  /** Provider calls in flight at most (the function config may only ask for fewer). */
  concurrency: number;
  /** One deadline for all provider calls of a run (the function config may only shorten it). */
  timeoutMs: number;
  retry: RetrySettings;
  maxSockets: number;
  /** Distinct data keys (and shush ciphertexts) one run may unwrap. */
  maxDataKeys: number;
  /** KMSECRET_NAMESPACES: undefined = no restriction; [] = nothing may be decrypted. */
  allowedNamespaces?: string[];
  /** KMSECRET_KMS_KEYS: undefined = any key; entries are key or alias ARNs, or 12-digit accounts. */
  kmsKeys?: string[];
  /** KMSECRET_KPT_OUTPUT, for when kmsecret-fn cannot see kpt's command line. */
  kptOutput?: 'stdout' | 'in-place';
  age: { key?: string; keyFile?: string; defaultKeyFile: string };
  /** KMSECRET_KEY: the CLI's default for --key. */
  defaultKeys: string[];
  pluginHome: string;
  editor: string;
  /** Whether this is a CI run (CI=true): commands never wait for a person. */
  ci: boolean;
}

export const defaults = {
  concurrency: 16,
  timeoutSeconds: 30,
  maxAttempts: 6,
  retryBaseMs: 100,
  maxSockets: 64,
  /** A render of 1,000 KmsSecrets and 1,000 workloads with env values, each under one data key. */
  maxDataKeys: 2000,
} as const;

type Env = Readonly<Record<string, string | undefined>>;

function number(env: Env, name: string, fallback: number, min: number, max: number, integer: boolean): number {
  const text = env[name];
  if (text === undefined || text.trim() === '') return fallback;
  const n = Number(text.trim());
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw usageError(`${name} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}`, `unset ${name} for the default (${fallback})`);
  }
  return n;
}

/** Comma- or space-separated entries; undefined when the variable is unset. */
function list(env: Env, name: string): string[] | undefined {
  const text = env[name];
  if (text === undefined) return undefined;
  return text.split(/[\s,]+/).filter((s) => s !== '');
}

const namespacePattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const kmsKeyEntry = /^([0-9]{12}|arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)\/[A-Za-z0-9/_-]+)$/;

export function readSettings(env: Env = process.env): Settings {
  const allowedNamespaces = list(env, 'KMSECRET_NAMESPACES');
  const badNamespace = allowedNamespaces?.find((n) => !namespacePattern.test(n) || n.length > 63);
  if (badNamespace !== undefined)
    throw usageError('KMSECRET_NAMESPACES holds something that is not a namespace name', 'list namespaces separated by commas, e.g. team-a,team-a-staging');
  const kmsKeys = list(env, 'KMSECRET_KMS_KEYS');
  if (kmsKeys?.some((k) => !kmsKeyEntry.test(k))) {
    throw usageError(
      'KMSECRET_KMS_KEYS holds something that is not a KMS key ARN, alias ARN or 12-digit account',
      'e.g. KMSECRET_KMS_KEYS=111122223333 or arn:aws:kms:eu-west-1:111122223333:key/…',
    );
  }
  const kptOutput = env.KMSECRET_KPT_OUTPUT;
  if (kptOutput !== undefined && kptOutput !== '' && kptOutput !== 'stdout' && kptOutput !== 'in-place') {
    throw usageError('KMSECRET_KPT_OUTPUT must be stdout or in-place');
  }
  const placeholder = env.KMSECRET_PLACEHOLDER;
  if (placeholder !== undefined && placeholder !== '' && !/^(0|1|true|false|yes|no|on|off)$/i.test(placeholder.trim())) {
    throw usageError('KMSECRET_PLACEHOLDER must be 1 or 0 (true/false)');
  }
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  const settings: Settings = {
    placeholder: placeholder !== undefined && /^(1|true|yes|on)$/i.test(placeholder.trim()),
    concurrency: number(env, 'KMSECRET_CONCURRENCY', defaults.concurrency, 1, 256, true),
    timeoutMs: number(env, 'KMSECRET_TIMEOUT', defaults.timeoutSeconds, 0.001, 3600, false) * 1000,
    retry: {
      // AWS_MAX_ATTEMPTS keeps the meaning it has for the AWS SDK; the SDK's own retries are off.
      maxAttempts: env.KMSECRET_MAX_ATTEMPTS?.trim()
        ? number(env, 'KMSECRET_MAX_ATTEMPTS', defaults.maxAttempts, 1, 20, true)
        : number(env, 'AWS_MAX_ATTEMPTS', defaults.maxAttempts, 1, 20, true),
      baseMs: number(env, 'KMSECRET_RETRY_BASE_MS', defaults.retryBaseMs, 0, 10_000, false),
      capMs: 5_000,
    },
    maxSockets: number(env, 'KMSECRET_MAX_SOCKETS', defaults.maxSockets, 1, 4096, true),
    maxDataKeys: number(env, 'KMSECRET_MAX_DATA_KEYS', defaults.maxDataKeys, 1, 1_000_000, true),
    age: { defaultKeyFile: join(config, 'kmsecret', 'age.key') },
    defaultKeys: list(env, 'KMSECRET_KEY') ?? [],
    pluginHome: env.KUSTOMIZE_PLUGIN_HOME || join(config, 'kustomize', 'plugin'),
    editor: env.VISUAL || env.EDITOR || 'vi',
    ci: /^(1|true)$/i.test(env.CI ?? ''),
  };
  if (allowedNamespaces !== undefined) settings.allowedNamespaces = allowedNamespaces;
  if (kmsKeys !== undefined) settings.kmsKeys = kmsKeys;
  if (kptOutput === 'stdout' || kptOutput === 'in-place') settings.kptOutput = kptOutput;
  if (env.KMSECRET_AGE_KEY) settings.age.key = env.KMSECRET_AGE_KEY;
  if (env.KMSECRET_AGE_KEY_FILE) settings.age.keyFile = env.KMSECRET_AGE_KEY_FILE;
  return settings;
}
