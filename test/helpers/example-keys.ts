// The keys the committed examples are encrypted under. They exist only in the
// test KMS server (imported key material), so the examples decrypt in tests and
// nowhere else. Regenerate the examples with KMSECRET_UPDATE_EXAMPLES=1.
import { createHash } from 'node:crypto';
import type { KmsTestServer } from '../kms-server/server.js';

export const exampleAccount = '111122223333';
export const exampleRegion = 'eu-west-1';

export const exampleKeys = [
  { alias: 'alias/shop-dev', id: '0d1e2f3a-4b5c-4d6e-8f70-81a2b3c4d5e6' },
  { alias: 'alias/shop-prod', id: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d' },
  { alias: 'alias/shop-staging', id: '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e' },
  { alias: 'alias/payments', id: '3c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f' },
] as const;

export function createExampleKeys(server: KmsTestServer): void {
  for (const { alias, id } of exampleKeys) {
    server.createKey({ alias, id, material: createHash('sha256').update(`kmsecret example key ${alias}`).digest() });
  }
}
