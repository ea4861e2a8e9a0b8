// npm's `prepare`: builds dist/ (what the package ships; it is not in git).
// npm runs it after `npm install`/`npm ci` in a checkout, before `npm pack` and
// `npm publish`, and when it packs a git dependency (`npm pack git+URL`,
// `npm install -g git+URL` on npm 12 and later).
//
// In a clean clone without node_modules (`git clone … && npm pack`), it first
// installs the locked devDependencies here, without their install scripts.
//
// npm 11 and older prepare a git dependency of `npm install -g` with an inner
// `npm install` that inherits the outer one's global setting (npm/cli#8440,
// fixed in npm 12): the devDependencies never reach this directory, and npm
// then links the global package to its temporary clone, which it deletes. That
// install would exit 0 with no executables; this script stops it instead.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const builder = ['esbuild', 'ajv', 'yaml', 'typescript'];
const missing = builder.filter((name) => !existsSync(join(root, 'node_modules', name, 'package.json')));
if (missing.length > 0) {
  if (process.env.npm_config_global === 'true') {
    process.stderr.write(
      [
        'kmsecret: this npm cannot build a global install from git (npm/cli#8440; fixed in npm 12).',
        'Build the package, then install it:',
        '  npm pack --allow-git=all git+URL     # writes kmsecret-VERSION.tgz',
        '  npm install -g ./kmsecret-VERSION.tgz',
        '',
      ].join('\n'),
    );
    process.exit(1);
  }
  const npmCli = process.env.npm_execpath;
  const [command, args] = npmCli && /\.[cm]?js$/.test(npmCli) ? [process.execPath, [npmCli]] : ['npm', []];
  process.stderr.write(`kmsecret prepare: ${missing.join(', ')} not installed here: npm ci --ignore-scripts\n`);
  const ci = spawnSync(command, [...args, 'ci', '--include=dev', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (ci.status !== 0) process.exit(ci.status ?? 1);
}
process.chdir(root);
await import('./build.mjs');
