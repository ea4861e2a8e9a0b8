// The kustomize transformer form meets namePrefix/nameSuffix: kustomize renames
// the KmsSecret (app-secrets → prod-app-secrets) before our transformer runs,
// but it rewrites Secret references only to resources of kind Secret, so the
// Deployment still says `app-secrets`. The Secret we make out of the KmsSecret
// would then be one nobody refers to. So we do for it what kustomize does for a
// Secret: in the same namespace, references to the name as first written
// follow the rename. (The generator form needs none of this: kustomize renames
// the generated Secret and its references itself.)
import type { SourceItem } from '../krm/resource-list.js';
import { metadataOf, resourceRef } from '../krm/identity.js';
import type { RenderConfig } from '../model/config.js';
import type { PathSegment } from './fields.js';
import { containerLists, get, podSpecsOf } from './pod-specs.js';

export interface Rename {
  namespace: string;
  from: string;
  to: string;
}

export interface RefRewrite {
  item: SourceItem;
  /** Paths of name scalars that refer to `from`, to be set to `to`. */
  edits: Array<{ path: PathSegment[]; to: string }>;
}

/** Every field of a pod spec that names a Secret. */
function secretRefs(spec: unknown, specPath: PathSegment[]): Array<[PathSegment[], unknown]> {
  const refs: Array<[PathSegment[], unknown]> = [];
  const each = (list: unknown, at: PathSegment[], visit: (entry: unknown, path: PathSegment[]) => void) => {
    if (Array.isArray(list)) list.forEach((entry, i) => visit(entry, [...at, i]));
  };
  for (const listName of containerLists) {
    each(get(spec, [listName]), [...specPath, listName], (container, cpath) => {
      each(get(container, ['envFrom']), [...cpath, 'envFrom'], (e, p) => refs.push([[...p, 'secretRef', 'name'], get(e, ['secretRef', 'name'])]));
      each(get(container, ['env']), [...cpath, 'env'], (e, p) => refs.push([[...p, 'valueFrom', 'secretKeyRef', 'name'], get(e, ['valueFrom', 'secretKeyRef', 'name'])]));
    });
  }
  each(get(spec, ['volumes']), [...specPath, 'volumes'], (v, p) => {
    refs.push([[...p, 'secret', 'secretName'], get(v, ['secret', 'secretName'])]);
    each(get(v, ['projected', 'sources']), [...p, 'projected', 'sources'], (s, sp) => refs.push([[...sp, 'secret', 'name'], get(s, ['secret', 'name'])]));
  });
  each(get(spec, ['imagePullSecrets']), [...specPath, 'imagePullSecrets'], (s, p) => refs.push([[...p, 'name'], get(s, ['name'])]));
  return refs;
}

export function planRefRewrites(items: readonly SourceItem[], renames: readonly Rename[], config: RenderConfig): RefRewrite[] {
  const active = renames.filter((r) => r.from !== r.to);
  if (active.length === 0) return [];
  // A Secret that really has the old name is what those references mean.
  const taken = new Set<string>();
  const candidates = items.filter((item) => active.some((r) => item.text.includes(r.from)));
  for (const item of candidates) {
    const ref = resourceRef(item.parsed.value);
    if (ref.kind === 'Secret' && ref.name) taken.add(`${ref.namespace ?? ''}/${ref.name}`);
  }
  const rewrites: RefRewrite[] = [];
  for (const item of candidates) {
    const value = item.parsed.value;
    const namespace = String(metadataOf(value).namespace ?? '');
    const edits: RefRewrite['edits'] = [];
    for (const specPath of podSpecsOf(value, config)) {
      for (const [path, name] of secretRefs(get(value, specPath), specPath)) {
        const rename = active.find((r) => r.namespace === namespace && r.from === name && !taken.has(`${namespace}/${r.from}`));
        if (rename) edits.push({ path, to: rename.to });
      }
    }
    if (edits.length > 0) rewrites.push({ item, edits });
  }
  return rewrites;
}
