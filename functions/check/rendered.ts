// `kmsecret check --rendered`: the guard at the end of a pipeline. If the
// plugin silently did not run (kubectl kustomize skips exec functions), what
// would be applied still holds KmsSecrets, tokens or shush ciphertexts; and a
// placeholder render must never be deployed.
import { inputError, type KmsecretError } from '../errors.js';
import { annotationsOf, namespaceOf, resourceRef } from '../k8s/resource.js';
import { fieldPath, type PathSegment, strings } from '../krm/fields.js';
import { readResourceList, readStream, type SourceItem } from '../krm/resource-list.js';
import { usesMergeKeys } from '../krm/yaml.js';
import { isKmsSecret } from '../model/kmssecret.js';
import { boundNamespaceAnnotation, placeholderAnnotation } from '../render/apply.js';
import { placeholderPrefix } from '../render/placeholder.js';
import { tokenPattern } from '../token/token.js';

export interface RenderedOptions {
  allowPlaceholder: boolean;
  prefixes: readonly string[];
  /** KMSECRET_NAMESPACES: where Secrets and what kmsecret wrote may land (undefined: anywhere). */
  allowedNamespaces?: readonly string[];
}

function itemsOf(text: string, file: string): SourceItem[] {
  // kpt fn render -o stdout writes a ResourceList; kustomize and `-o unwrap` write a stream.
  if (/^kind: ResourceList\s*$/m.test(text) && /^apiVersion: config\.kubernetes\.io\//m.test(text)) {
    try {
      return readResourceList(text).items.all();
    } catch {
      // not one after all: read it as a stream
    }
  }
  return readStream(text, file);
}

const base64 = /^[A-Za-z0-9+/]{40,}={0,2}$/;

export function checkRendered(text: string, file: string, options: RenderedOptions): KmsecretError[] {
  const errors: KmsecretError[] = [];
  const items = itemsOf(text, file);
  if (items.length === 0) {
    return [
      inputError(
        'the rendered output is empty',
        { file },
        'a render that produced nothing is not deployed: check that kustomize or kpt ran, and that its output reached this command',
      ),
    ];
  }
  for (const item of items) {
    let value: Record<string, unknown>;
    try {
      value = item.parsed.value;
    } catch (error) {
      errors.push(error as KmsecretError);
      continue;
    }
    const place = { resource: resourceRef(value), ...item.file() };
    const hint = 'the kmsecret plugin did not run on this render: see "kustomize" in the README (kubectl kustomize skips exec functions)';
    if (isKmsSecret(value)) errors.push(inputError('a KmsSecret is in the rendered output', place, hint));
    // An annotation can be written by the repository too (commonAnnotations, a patch): it
    // catches mistakes. What holds against a hostile repository is the pipeline's allowlist.
    const ours = value.kind === 'Secret' || Object.keys(annotationsOf(value)).some((k) => k.startsWith('kmsecret.dev/'));
    if (ours && options.allowedNamespaces && !options.allowedNamespaces.includes(namespaceOf(value))) {
      errors.push(
        inputError(
          `is rendered into ${namespaceOf(value) ? `namespace ${namespaceOf(value)}` : 'no namespace'}, which this pipeline does not allow (KMSECRET_NAMESPACES=${options.allowedNamespaces.join(',') || '(empty)'})`,
          { ...place, field: 'metadata.namespace' },
          "a render may put Secrets only into the namespaces the pipeline decrypts for; check the kustomization's namespace:",
        ),
      );
    }
    if (ours && usesMergeKeys(item.parsed)) {
      errors.push(
        inputError(
          'uses a YAML merge key (<<), which YAML readers resolve differently (kpt keeps it, kubectl applies it)',
          place,
          'write the merged fields out',
        ),
      );
    }
    const bound = annotationsOf(value)[boundNamespaceAnnotation];
    if (bound !== undefined && bound !== namespaceOf(value)) {
      errors.push(
        inputError(
          `holds values bound to namespace ${bound}, but the render puts it into ${namespaceOf(value) ? `namespace ${namespaceOf(value)}` : 'no namespace'}`,
          { ...place, field: `metadata.annotations["${boundNamespaceAnnotation}"]` },
          "a kustomization moved it after kmsecret decrypted it (an overlay's namespace:); write the values for the namespace it renders into, or drop that namespace:",
        ),
      );
    }
    if (!options.allowPlaceholder && annotationsOf(value)[placeholderAnnotation] === 'true') {
      errors.push(
        inputError(
          'is a placeholder render: its values are fakes',
          { ...place, field: `metadata.annotations["${placeholderAnnotation}"]` },
          'render with the real credentials (or pass --allow-placeholder where fakes are fine)',
        ),
      );
    }
    const isSecret = value.kind === 'Secret';
    for (const [path, s] of strings(value)) {
      const field = fieldPath(path as PathSegment[]);
      const decoded = isSecret && path[0] === 'data' && path.length === 2 ? Buffer.from(s, 'base64').toString('latin1') : '';
      if (tokenPattern.test(s) || tokenPattern.test(decoded)) errors.push(inputError('a kmsecret token is in the rendered output', { ...place, field }, hint));
      if (!options.allowPlaceholder && (s.includes(placeholderPrefix) || decoded.includes(placeholderPrefix))) {
        errors.push(inputError('holds a placeholder value', { ...place, field }, 'render with the real credentials (or pass --allow-placeholder)'));
      }
      const last = path[path.length - 1];
      if (last === 'name' && options.prefixes.some((p) => s.startsWith(p) && s.length > p.length)) {
        const entry = path.slice(0, -1);
        const sibling = (entry.reduce<unknown>((node, seg) => (node as Record<string | number, unknown>)?.[seg], value) as Record<string, unknown> | undefined)
          ?.value;
        if (typeof sibling === 'string' && base64.test(sibling.replace(/\s+/g, ''))) {
          errors.push(inputError(`env ${s} is still a shush ciphertext`, { ...place, field }, hint));
        }
      }
    }
  }
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.place.file}|${e.place.resource?.kind}|${e.place.resource?.name}|${e.place.field}|${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
