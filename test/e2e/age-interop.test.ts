// The age provider and the age CLI understand each other: identities from
// `kmsecret keygen` work with `age`, a data key wrapped by kmsecret opens with
// `age -d`, and a data key wrapped by `age -r` opens in kmsecret-fn.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { open, seal } from '../../functions/crypto/aes-gcm.js';
import { fromBase64url, toBase64url } from '../../functions/token/base64url.js';
import { bindingFor } from '../../functions/token/binding.js';
import { aadFor, formatToken } from '../../functions/token/token.js';
import { decodeData, parseList, resourceList, yaml } from '../helpers/resource-list.js';
import { cleanEnv, run, runCli, runFn } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { describeWith } from '../helpers/tools.js';

describeWith(['age', 'age-keygen'], 'age CLI interoperability', () => {
  let dir: string;
  let identityFile: string;
  let recipient: string;
  beforeAll(async () => {
    dir = tempDir();
    identityFile = join(dir, 'age.key');
    const keygen = await runCli(['keygen', '-w', identityFile]);
    expect(keygen.code, keygen.stderr).toBe(0);
    recipient = /Public key: (age1\S+)/.exec(keygen.stderr)?.[1] as string;
  });

  it('kmsecret keygen writes a key file the age CLI reads, and the recipient age-keygen derives', async () => {
    const derived = await run('age-keygen', ['-y', identityFile]);
    expect(derived.stdout.trim()).toBe(recipient);
  });

  it('a data key kmsecret wrapped opens with `age -d`, and unseals the value', async () => {
    const create = await runCli(['create', 'app', '-n', 'team-a', '--key', recipient, '--from-literal', 'K=interop-value'], { env: cleanEnv() });
    expect(create.code, create.stderr).toBe(0);
    const token = /K: (\S+)/.exec(create.stdout)?.[1] as string;
    const wrapped = fromBase64url(token.split(':')[4] as string) as Uint8Array;
    const wrappedFile = join(dir, 'wrapped.age');
    writeFileSync(wrappedFile, wrapped);
    const keyOut = join(dir, 'opened.key');
    const opened = await run('age', ['-d', '-i', identityFile, '-o', keyOut, wrappedFile], { env: cleanEnv() });
    expect(opened.code, opened.stderr).toBe(0);
    const dataKey = new Uint8Array(readFileSync(keyOut));
    expect(dataKey.length).toBe(32);
    const fields = token.split(':');
    const aad = aadFor(bindingFor('strict', { use: 'secret', namespace: 'team-a', name: 'app', key: 'K' }));
    expect(new TextDecoder().decode(open(dataKey, fromBase64url(fields[5] as string) as Uint8Array, aad))).toBe('interop-value');
  });

  it('a data key wrapped by `age -r` makes a token kmsecret-fn decrypts', async () => {
    const dataKey = new Uint8Array(32).map((_, i) => (i * 7 + 3) & 0xff);
    const keyFile = join(dir, 'datakey.bin');
    writeFileSync(keyFile, dataKey);
    const wrapped = await run('age', ['-r', recipient, '-o', join(dir, 'datakey.age'), keyFile]);
    expect(wrapped.code, wrapped.stderr).toBe(0);
    const wrappedBytes = new Uint8Array(readFileSync(join(dir, 'datakey.age')));
    const binding = bindingFor('strict', { use: 'secret', namespace: 'team-a', name: 'app', key: 'K' });
    const token = formatToken({
      provider: 'age',
      keyId: recipient,
      binding,
      wrapped: wrappedBytes,
      sealed: seal(dataKey, new TextEncoder().encode('made-with-age-cli'), aadFor(binding)),
    });
    const list = resourceList([
      yaml({ apiVersion: 'kmsecret.dev/v1alpha1', kind: 'KmsSecret', metadata: { name: 'app', namespace: 'team-a' }, data: { K: token } }),
    ]);
    const result = await runFn(list, cleanEnv({ KMSECRET_AGE_KEY_FILE: identityFile }));
    expect(result.code, result.stderr).toBe(0);
    expect(decodeData(parseList(result.stdout).items[0] as Record<string, any>)).toEqual({ K: 'made-with-age-cli' });
    expect(toBase64url(wrappedBytes)).toBe(token.split(':')[4]);
  });
});
