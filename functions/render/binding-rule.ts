// Where the binding is checked. A token records where it may be decrypted
// (token/binding.ts); this file computes where it sits — the binding rule,
// docs/FORMAT.md — and refuses any value that may not be decrypted here:
//
//   use        a KmsSecret's data is `secret`, a container's env is `env`
//   namespace  metadata.namespace as the function receives the resource
//   name       the name as first written: kustomize's namePrefix/nameSuffix
//              decorate names and kustomize records the original in
//              previousNames. That record is trusted only under kustomize and
//              only as far as its own prefixes/suffixes record explains the
//              rename; under kpt and for files the CLI reads, the name is
//              metadata.name (annotations there are whatever the author wrote)
//   key        the data key, or the env variable's name as written
//
// and, from the pipeline's environment only: KMSECRET_NAMESPACES (the
// namespaces this run may decrypt; an empty list allows none) and, for shush
// values, a context that binds the workload's namespace.
import { type ErrorPlace, KmsecretError, inputError } from '../errors.js';
import { annotationsOf, nameOf, namespaceOf } from '../k8s/resource.js';
import type { EncryptionContext } from '../providers/provider.js';
import { bindingFor, describeBinding, type Home, sameBinding, type Use } from '../token/binding.js';
import { isTokenProblem, parseToken } from '../token/token.js';
import type { PlannedValue } from './values.js';

/** Who handed the function its resources, which decides what their annotations are worth. */
export type Orchestrator = 'kpt' | 'kustomize' | 'file';

export interface BindingPolicy {
  orchestrator: Orchestrator;
  /** KMSECRET_NAMESPACES: undefined = any namespace; [] = none. */
  allowedNamespaces?: readonly string[];
}

/** The shush context key that must name the workload's namespace under KMSECRET_NAMESPACES. */
export const shushNamespaceKey = 'namespace';

const previousNames = 'internal.config.kubernetes.io/previousNames';

/** The name a resource's values are bound to (see the rule above). */
export function boundName(value: Record<string, unknown>, orchestrator: Orchestrator): string {
  const current = nameOf(value);
  if (orchestrator !== 'kustomize') return current;
  const annotations = annotationsOf(value);
  const original = annotations[previousNames]?.split(',')[0];
  if (!original || original === current) return current;
  const list = (key: string) => (annotations[`internal.config.kubernetes.io/${key}`] ?? '').split(',').filter((s) => s !== '');
  // kustomize lists prefixes and suffixes in the order it applied them: the last prefix is outermost.
  const explained = [...list('prefixes')].reverse().join('') + original + list('suffixes').join('');
  return explained === current ? original : current;
}

export function homeOf(value: Record<string, unknown>, use: Use, key: string, orchestrator: Orchestrator): Home {
  return { use, namespace: namespaceOf(value), name: boundName(value, orchestrator), key };
}

/** Parses a token found at `place` and checks it sits where it was bound. */
export function planToken(text: string, home: Home, place: ErrorPlace, errors: KmsecretError[]): PlannedValue | undefined {
  const token = parseToken(text);
  if (isTokenProblem(token)) {
    errors.push(inputError(`value ${token.problem}`, place, token.hint));
    return undefined;
  }
  const expected = bindingFor(token.binding.scope, home);
  if (!sameBinding(token.binding, expected)) {
    const hint =
      token.binding.use !== home.use
        ? home.use === 'env'
          ? 'a Secret value never decrypts into a workload; reference the Secret (envFrom or secretKeyRef), or encrypt the value for this variable with `kmsecret encrypt-value`'
          : 'an env value decrypts only in the workload it was written for; write it into this Secret with `kmsecret set`'
        : 'a token decrypts only where it was written for; encrypt the value again here (`kmsecret set`, or `kmsecret encrypt-value` for env); an overlay that changes the namespace needs its own values';
    errors.push(new KmsecretError('input', `value was encrypted as ${describeBinding(token.binding)}, not as ${describeBinding(expected)}`, place, hint));
    return undefined;
  }
  return { form: 'token', token, place };
}

/** KMSECRET_NAMESPACES: a shared decrypting role (Argo CD's repo-server) decrypts only the
 *  namespaces the pipeline says, whatever a repository's manifests claim. */
export function outsideAllowedNamespaces(value: PlannedValue, allowed: readonly string[] | undefined): KmsecretError | undefined {
  if (allowed === undefined) return undefined;
  const list = allowed.length === 0 ? '(empty: no namespace)' : allowed.join(',');
  if (value.form === 'token' && value.token.binding.scope === 'cluster-wide') {
    return new KmsecretError(
      'decrypt',
      `value is cluster-wide (bound to no namespace), which this run does not decrypt (KMSECRET_NAMESPACES=${list})`,
      value.place,
      'write it for a namespace: kmsecret set --scope strict',
    );
  }
  const namespace = value.form === 'token' ? value.token.binding.namespace : value.home.namespace;
  if (allowed.includes(namespace)) return undefined;
  return new KmsecretError(
    'decrypt',
    `value is bound to namespace ${namespace || '(none)'}, which this run may not decrypt (KMSECRET_NAMESPACES=${list})`,
    value.place,
    "a pipeline renders only its own namespaces; check the Application's destination namespace",
  );
}

/** The KMS context a shush value is decrypted with: the config's (shush's --context), which under
 *  KMSECRET_NAMESPACES must bind the workload's own namespace, so that one tenant cannot name
 *  another tenant's context and have the pipeline's role open its ciphertexts. */
export function shushContext(
  context: EncryptionContext,
  namespace: string,
  allowed: readonly string[] | undefined,
  place: ErrorPlace,
  where: string,
): EncryptionContext | KmsecretError {
  if (allowed === undefined) return context;
  if (context[shushNamespaceKey] === namespace && namespace !== '') return context;
  return new KmsecretError(
    'decrypt',
    `${where} is a shush value, which this run decrypts only with an encryption context that binds the workload's namespace (${shushNamespaceKey}=${namespace || '(none)'}); the config's context does not`,
    place,
    `encrypt the value with \`shush encrypt --context ${shushNamespaceKey}=${namespace || 'NAMESPACE'}\` (or move it to a token: kmsecret encrypt-value) and set env.context ${shushNamespaceKey}: ${namespace || 'NAMESPACE'}`,
  );
}
