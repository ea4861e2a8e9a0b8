// The AWS provider's trimmed client: the user agent names the SDK version in use.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { sdkVersion } from '../../functions/providers/aws-kms.js';
import { repoRoot } from '../helpers/run.js';

it('names the pinned @aws-sdk/client-kms version', () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  expect(sdkVersion).toBe(pkg.devDependencies['@aws-sdk/client-kms']);
});
