// How an AWS SDK failure becomes something the user can act on (functions/providers/aws-kms.ts).
import { describe, expect, it } from 'vitest';
import { classify } from '../../functions/providers/aws-kms.js';

const arn = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

describe('classify', () => {
  it.each([
    [{ name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }, 'throttled', true],
    [{ name: 'Whatever', $metadata: { httpStatusCode: 429 } }, 'throttled', true],
    [{ name: 'KMSInternalException', $metadata: { httpStatusCode: 500 } }, 'transient', true],
    [{ name: 'Error', code: 'ECONNRESET' }, 'transient', true],
    [{ name: 'TimeoutError' }, 'transient', true],
    [{ name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }, 'denied', false],
    [{ name: 'InvalidCiphertextException' }, 'rejected', false],
    [{ name: 'IncorrectKeyException' }, 'rejected', false],
    [{ name: 'DisabledException' }, 'key-state', false],
    [{ name: 'NotFoundException' }, 'key-state', false],
    [{ name: 'CredentialsProviderError', message: 'Could not load credentials from any providers' }, 'credentials', false],
    [{ name: 'Error', message: 'Region is missing' }, 'credentials', false],
    [{ name: 'Error', code: 'ENOTFOUND' }, 'unreachable', false],
    [{ name: 'AbortError' }, 'unreachable', false],
  ] as const)('%j → %s', (error, kind, retryable) => {
    const classified = classify(error, arn, 'Decrypt');
    expect(classified.kind).toBe(kind);
    expect(classified.retryable).toBe(retryable);
    expect(classified.message).not.toMatch(/Could not load|Region is missing/);
  });

  it('names the key and the operation, never what the SDK said about the request', () => {
    const classified = classify({ name: 'SomethingNew', message: 'the secret value was s3cr3t' }, arn, 'Decrypt');
    expect(classified.message).toBe(`KMS failed kms:Decrypt on ${arn}: SomethingNew`);
  });
});
