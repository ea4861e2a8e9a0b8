// The kustomize transformer form meets namePrefix/nameSuffix: kustomize renames
// the KmsSecret (app-secrets → prod-app-secrets) before our transformer runs,
// but it rewrites Secret references only to resources of kind Secret, so the
// Deployment still says `app-secrets`. The Secret we make out of the KmsSecret
// would then be one nobody refers to. So we do for it what kustomize does for a
// Secret: in the same namespace, references to the name as first written
// follow the rename. (The generator form needs none of this: kustomize renames
// the generated Secret and its references itself.)
import { secretRefs } from '../k8s/pod-specs.js';
import { namespaceOf, resourceRef } from '../k8s/resource.js';
import type { PathSegment } from '../krm/fields.js';
import type { ItemList, SourceItem } from '../krm/resource-list.js';

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

export function planRefRewrites(items: ItemList, renames: readonly Rename[], fieldPaths: readonly string[]): RefRewrite[] {
  const active = renames.filter((r) => r.from !== r.to);
  if (active.length === 0) return [];
  // A Secret that really has the old name is what those references mean.
  const taken = new Set<string>();
  const candidates = items.all().filter((item) => active.some((r) => item.text.includes(r.from)) && item.readable);
  for (const item of candidates) {
    const ref = resourceRef(item.parsed.value);
    if (ref.kind === 'Secret' && ref.name) taken.add(`${ref.namespace ?? ''}/${ref.name}`);
  }
  const rewrites: RefRewrite[] = [];
  for (const item of candidates) {
    const value = item.parsed.value;
    const namespace = namespaceOf(value);
    const edits: RefRewrite['edits'] = [];
    for (const [path, name] of secretRefs(value, fieldPaths)) {
      const rename = active.find((r) => r.namespace === namespace && r.from === name && !taken.has(`${namespace}/${r.from}`));
      if (rename) edits.push({ path, to: rename.to });
    }
    if (edits.length > 0) rewrites.push({ item, edits });
  }
  return rewrites;
}
