// The quick way through for a ResourceList that holds nothing of kmsecret's:
// no marker of ours in any byte of it, no function config but kpt's empty
// default. Its items leave exactly as they came (as the full path would write
// them), and the process never loads the YAML library or the render: kpt runs a
// package's functions on every render, and kustomize starts a plugin per entry.
// Anything else — even a config with nothing to do — takes the full path, which
// reads and checks it.
import { escapedTag, spells } from './escapes.js';
import { frameResourceList } from './framing.js';
import type { OutputPart } from './output.js';

/** Text that could be something of ours (plan.mayConcern with the default prefix, and more);
 *  an escape could spell one, so it is also looked for with the escapes decoded. */
const marker = /kmsecret|kmssecret|KMS_ENCRYPTED_|!!binary|:binary\b/i;

/** kpt's function config when none is given, in whatever key order it writes it. */
const kptDefaultConfig = ['apiVersion: v1', 'data: {}', 'kind: ConfigMap', 'metadata:', 'name: function-input'].join('\n');

const envelopeLine = /^(apiVersion: (config\.kubernetes\.io\/v1(alpha1|beta1)?)|kind: ResourceList|items:( \[\])?|#.*|)\s*$/;

/** The whole output (its items one slice of the input), or undefined when the full path must
 *  read the input. */
export function passThrough(input: string): OutputPart[] | undefined {
  const text = input.replace(/^\uFEFF/, '');
  const bom = input.length - text.length;
  if (escapedTag.test(text) || spells(text, (t) => marker.test(t))) return undefined;
  const framing = frameResourceList(text);
  let apiVersion: string | undefined;
  let items: { from: number; to: number } | undefined;
  let skeleton: string;
  if (framing.kind === 'items') {
    const first = framing.starts[0];
    // The items lie one after the other in the input: their text is one range of it.
    if (first !== undefined) items = { from: bom + first, to: bom + framing.end };
    skeleton = framing.skeleton;
  } else if (/^(apiVersion|kind|items):/m.test(text) && !/^items:\s*\S/m.test(text.replace(/^items:\s*\[\]\s*$/m, ''))) {
    skeleton = text; // no items at all, or `items: []`
  } else {
    return undefined;
  }
  const lines = skeleton.split(/\r?\n/);
  const config = lines.findIndex((l) => /^functionConfig:\s*$/.test(l));
  const head = config === -1 ? lines : lines.slice(0, config);
  const tail = config === -1 ? [] : lines.slice(config + 1);
  const configLines = tail.filter((l) => l.trim() !== '').map((l) => l.trim());
  if (tail.some((l) => l.trim() !== '' && !l.startsWith('  '))) return undefined;
  if (config !== -1 && [...configLines].sort().join('\n') !== kptDefaultConfig) return undefined;
  for (const line of head) {
    if (!envelopeLine.test(line)) return undefined;
    const version = /^apiVersion: (\S+)/.exec(line)?.[1];
    if (version) apiVersion = version;
  }
  if (!apiVersion || !head.some((l) => /^kind: ResourceList\s*$/.test(l))) return undefined;
  const envelope = `apiVersion: ${apiVersion}\nkind: ResourceList\n`;
  if (!items) return [`${envelope}items: []\n`];
  const { from, to } = items;
  return [`${envelope}items:\n`, { input, from, to }, ...(input.charCodeAt(to - 1) === 10 ? [] : ['\n'])];
}
