// The function config and the environment: what a repository may ask for, and
// what only the pipeline sets (functions/model/config.ts, functions/settings.ts).
import { describe, expect, it } from 'vitest';
import { KmsecretError, KmsecretErrors } from '../../functions/errors.js';
import { readConfig } from '../../functions/model/config.js';
import { readSettings } from '../../functions/settings.js';

const transformer = (extra: Record<string, unknown>) => ({
  apiVersion: 'kmsecret.dev/v1alpha1',
  kind: 'KmsSecretTransformer',
  metadata: { name: 't' },
  ...extra,
});
const configMap = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'function-input' }, data });
const messageOf = (f: () => unknown): string => {
  try {
    f();
  } catch (error) {
    if (error instanceof KmsecretErrors) return error.errors.map((e) => e.message).join('; ');
    if (error instanceof KmsecretError) return `${error.category}: ${error.message}`;
    throw error;
  }
  return 'no error';
};

describe('settings (the environment)', () => {
  it('has defaults, and reads every variable it documents', () => {
    const s = readSettings({});
    expect([s.concurrency, s.timeoutMs, s.retry.maxAttempts, s.maxSockets, s.maxDataKeys, s.allowedNamespaces, s.kmsKeys]).toEqual([
      16,
      30_000,
      6,
      64,
      2000,
      undefined,
      undefined,
    ]);
    const t = readSettings({
      KMSECRET_CONCURRENCY: '4',
      KMSECRET_TIMEOUT: '1.5',
      AWS_MAX_ATTEMPTS: '3',
      KMSECRET_MAX_SOCKETS: '8',
      KMSECRET_MAX_DATA_KEYS: '10',
      KMSECRET_NAMESPACES: 'a, b',
      KMSECRET_KMS_KEYS: '111122223333',
    });
    expect([t.concurrency, t.timeoutMs, t.retry.maxAttempts, t.maxSockets, t.maxDataKeys, t.allowedNamespaces, t.kmsKeys]).toEqual([
      4,
      1500,
      3,
      8,
      10,
      ['a', 'b'],
      ['111122223333'],
    ]);
    expect(readSettings({ KMSECRET_MAX_ATTEMPTS: '2', AWS_MAX_ATTEMPTS: '9' }).retry.maxAttempts).toBe(2);
  });

  it('refuses an invalid value, naming the variable, instead of falling back to the default', () => {
    for (const [name, value] of [
      ['KMSECRET_CONCURRENCY', 'many'],
      ['KMSECRET_CONCURRENCY', '0'],
      ['KMSECRET_MAX_ATTEMPTS', 'x'],
      ['KMSECRET_MAX_SOCKETS', '-1'],
      ['KMSECRET_MAX_DATA_KEYS', '1.5'],
      ['KMSECRET_TIMEOUT', 'soon'],
      ['KMSECRET_RETRY_BASE_MS', 'fast'],
      ['KMSECRET_NAMESPACES', 'Team_A'],
      ['KMSECRET_KMS_KEYS', 'alias/mine'],
      ['KMSECRET_KPT_OUTPUT', 'stdin'],
      ['KMSECRET_PLACEHOLDER', 'maybe'],
    ]) {
      expect(
        messageOf(() => readSettings({ [name as string]: value })),
        `${name}=${value}`,
      ).toMatch(new RegExp(`^usage: ${name}`));
    }
  });

  it('an allowlist that is set but empty allows nothing; unset allows everything', () => {
    for (const empty of ['', ' ', ',', ' , ']) expect(readSettings({ KMSECRET_NAMESPACES: empty }).allowedNamespaces).toEqual([]);
    expect(readSettings({ KMSECRET_KMS_KEYS: '' }).kmsKeys).toEqual([]);
  });
});

describe('the function config', () => {
  const settings = readSettings({ KMSECRET_CONCURRENCY: '8', KMSECRET_TIMEOUT: '10' });

  it('takes the same settings from a KmsSecretTransformer and from kpt ConfigMap data', () => {
    const a = readConfig(
      transformer({
        mode: 'placeholder',
        env: { output: 'inline', prefixes: ['ENCRYPT_'], context: { app: 'web' }, fieldPaths: ['Rollout=spec.template.spec'] },
      }),
      settings,
    );
    const b = readConfig(
      configMap({ mode: 'placeholder', envOutput: 'inline', envPrefixes: 'ENCRYPT_', envContext: 'app=web', envFieldPaths: 'Rollout=spec.template.spec' }),
      settings,
    );
    expect(b).toEqual(a);
    expect(a.env).toEqual({ output: 'inline', prefixes: ['ENCRYPT_'], context: { app: 'web' }, fieldPaths: ['Rollout=spec.template.spec'] });
  });

  it("may ask for less concurrency and a shorter deadline than the pipeline's, never more", () => {
    expect(readConfig(transformer({ concurrency: 2, timeoutSeconds: 5 }), settings)).toMatchObject({ concurrency: 2, timeoutMs: 5000 });
    expect(readConfig(transformer({ concurrency: 200, timeoutSeconds: 3600 }), settings)).toMatchObject({ concurrency: 8, timeoutMs: 10_000 });
    expect(readConfig(configMap({ concurrency: '64' }), settings).concurrency).toBe(8);
    expect(readConfig(undefined, settings)).toMatchObject({ concurrency: 8, timeoutMs: 10_000, mode: 'decrypt' });
  });

  it('refuses kmsecret context keys in any spelling, overlapping prefixes, and a built-in kind as an extra path', () => {
    expect(messageOf(() => readConfig(transformer({ env: { context: { 'kmsecret:namespace': 'team-b' } } }), settings))).toMatch(
      /env\.context may not hold keys starting with kmsecret:/,
    );
    expect(messageOf(() => readConfig(configMap({ envContext: 'KmSecret:use=secret' }), settings))).toMatch(
      /env\.context may not hold keys starting with kmsecret:/,
    );
    expect(messageOf(() => readConfig(transformer({ env: { prefixes: ['ENC_', 'ENC_X_'] } }), settings))).toMatch(/overlap/);
    expect(messageOf(() => readConfig(transformer({ env: { fieldPaths: ['Deployment=spec.template.spec'] } }), settings))).toMatch(/already knows/);
    expect(messageOf(() => readConfig(transformer({ endpoint: 'http://x' }), settings))).toMatch(/field endpoint is not a field of this kind/);
    expect(messageOf(() => readConfig(configMap({ mdoe: 'x' }), settings))).toMatch(/unknown key mdoe/);
  });

  it('KMSECRET_PLACEHOLDER turns any config into a placeholder render', () => {
    expect(readConfig(transformer({ mode: 'decrypt' }), readSettings({ KMSECRET_PLACEHOLDER: '1' })).mode).toBe('placeholder');
  });
});
