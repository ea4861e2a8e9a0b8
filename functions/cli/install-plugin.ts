import { lstatSync, mkdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flag, one } from './args.js';
import type { Command } from './command.js';
import { usageError } from '../errors.js';

/** kustomize looks legacy exec plugins up as PLUGIN_HOME/GROUP/VERSION/lowercased-kind/Kind. */
export const pluginPaths = [
  'kmsecret.dev/v1alpha1/kmssecret/KmsSecret',
  'kmsecret.dev/v1alpha1/kmssecretgenerator/KmsSecretGenerator',
  'kmsecret.dev/v1alpha1/kmssecrettransformer/KmsSecretTransformer',
];

export const installPlugin: Command = {
  name: 'install-plugin',
  summary: 'install kmsecret-fn as a kustomize exec plugin (for kubectl kustomize)',
  help: `Usage: kmsecret install-plugin [--dir PLUGIN_HOME]

Links kmsecret-fn into kustomize's legacy exec plugin layout, the only plugin
form \`kubectl kustomize --enable-alpha-plugins\` runs without Docker:

  PLUGIN_HOME/kmsecret.dev/v1alpha1/kmssecret/KmsSecret
  PLUGIN_HOME/kmsecret.dev/v1alpha1/kmssecretgenerator/KmsSecretGenerator
  PLUGIN_HOME/kmsecret.dev/v1alpha1/kmssecrettransformer/KmsSecretTransformer

PLUGIN_HOME defaults to $KUSTOMIZE_PLUGIN_HOME, else $XDG_CONFIG_HOME/kustomize/plugin
(~/.config/kustomize/plugin), where kustomize looks.

Flags:
      --dir DIR   the plugin home to install into
      --force     replace existing links

Example:
  kmsecret install-plugin && kubectl kustomize --enable-alpha-plugins overlays/prod`,
  flags: { dir: { type: 'string' }, force: { type: 'boolean' } },
  async run(args, ctx) {
    if (args.positional.length > 0) throw usageError('install-plugin takes no arguments');
    const home = resolve(ctx.cwd, one(args, 'dir') ?? ctx.settings.pluginHome);
    // kmsecret-fn sits next to this bundle in dist/.
    const fn = join(dirname(fileURLToPath(import.meta.url)), 'kmsecret-fn.mjs');
    for (const path of pluginPaths) {
      const link = join(home, path);
      mkdirSync(dirname(link), { recursive: true });
      let current: string | undefined;
      try {
        current = lstatSync(link).isSymbolicLink() ? readlinkSync(link) : '(a file)';
      } catch {
        // not there yet
      }
      if (current === fn) {
        ctx.stdout(`${link} -> ${fn} (already installed)\n`);
        continue;
      }
      if (current !== undefined) {
        if (!flag(args, 'force')) throw usageError(`${link} exists and points elsewhere`, 'pass --force to replace it');
        rmSync(link);
      }
      symlinkSync(fn, link);
      ctx.stdout(`${link} -> ${fn}\n`);
    }
    ctx.stderr(`kustomize finds the plugins in ${home}${one(args, 'dir') || ctx.settings.pluginHome !== home ? ' (set KUSTOMIZE_PLUGIN_HOME to it)' : ''}\n`);
  },
};
