import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KmsecretError, usageError } from '../errors.js';
import { all } from './args.js';
import type { Command } from './command.js';

export const gitSetup: Command = {
  name: 'git-setup',
  summary: 'make git diff show which encrypted values changed (textconv driver)',
  help: `Usage: kmsecret git-setup [--pattern GLOB]…

In the current git repository: sets diff.kmsecret.textconv to "kmsecret textconv"
(in .git/config) and adds "GLOB diff=kmsecret" to .gitattributes (default
*.kmsecret.yaml). git diff and git log -p then show a changed value as one changed
fingerprint line instead of two walls of base64.

Flags:
      --pattern GLOB   files to diff this way (repeatable; default *.kmsecret.yaml)

Example:
  kmsecret git-setup && git log -p -- overlays/prod/app-secrets.kmsecret.yaml`,
  flags: { pattern: { type: 'string', repeat: true } },
  async run(args, io) {
    if (args.positional.length > 0) throw usageError('git-setup takes no arguments');
    const top = spawnSync('git', ['rev-parse', '--show-toplevel'], { cwd: io.cwd, encoding: 'utf8' });
    if (top.status !== 0) throw usageError('not in a git repository');
    const root = top.stdout.trim();
    const git = (...a: string[]) => {
      const r = spawnSync('git', a, { cwd: root, encoding: 'utf8' });
      if (r.status !== 0) throw new KmsecretError('internal', `git ${a.join(' ')} failed: ${r.stderr.trim()}`);
    };
    git('config', 'diff.kmsecret.textconv', 'kmsecret textconv');
    git('config', 'diff.kmsecret.cachetextconv', 'true');
    const attributes = join(root, '.gitattributes');
    const existing = existsSync(attributes) ? readFileSync(attributes, 'utf8') : '';
    const patterns = all(args, 'pattern').length > 0 ? all(args, 'pattern') : ['*.kmsecret.yaml'];
    const lines = patterns.map((p) => `${p} diff=kmsecret`).filter((line) => !existing.split('\n').includes(line));
    if (lines.length > 0) appendFileSync(attributes, `${existing && !existing.endsWith('\n') ? '\n' : ''}${lines.join('\n')}\n`);
    io.stderr(
      `git diff now shows kmsecret fingerprints for ${patterns.join(', ')} (${lines.length > 0 ? 'added to' : 'already in'} .gitattributes; commit it)\n`,
    );
  },
};
