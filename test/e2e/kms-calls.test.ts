// The benchmark's claim as a count, in npm test: one render of KmsSecrets and
// env-encrypted Deployments costs exactly one KMS Decrypt per distinct data key.
import { beforeAll, expect, it } from 'vitest';
import { deployments, kmsSecrets, resourceList } from '../../bench/generate.js';
import { AwsKmsProvider } from '../../functions/providers/aws-kms.js';
import { awsEnv, useKmsServer } from '../helpers/kms.js';
import { runFn } from '../helpers/run.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const kms = useKmsServer();
let provider: AwsKmsProvider;
beforeAll(() => {
  kms.server().createKey({ alias: 'alias/bench' });
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_KMS: kms.server().endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDBENCH',
    AWS_SECRET_ACCESS_KEY: 'x',
  });
  provider = new AwsKmsProvider();
});

it('KMS Decrypt calls = distinct data keys (25 KmsSecrets of 10 keys + 10 Deployments of 5 env values)', async () => {
  const secrets = await kmsSecrets(provider, 'alias/bench', 25);
  const workloads = await deployments(provider, 'alias/bench', 10);
  kms.server().reset();
  const result = await runFn(resourceList([...secrets.items, ...workloads.items]), awsEnv(kms.server().endpoint));
  expect(result.code, result.stderr).toBe(0);
  expect(secrets.values + workloads.values).toBe(300);
  expect(kms.server().count('Decrypt')).toBe(secrets.dataKeys + workloads.dataKeys);
  expect(kms.server().count()).toBe(35);
});
