// Kubernetes knowledge about workloads, in one place: where each kind keeps its
// pod spec (and extra paths the config names for custom kinds, an Argo
// Rollout say), its containers' env entries, and the fields that name a Secret.
import { get, type PathSegment } from '../krm/fields.js';

/** Where each built-in kind keeps its pod spec. */
const podSpecPaths: Record<string, string[]> = {
  Pod: ['spec'],
  PodTemplate: ['template', 'spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};
/** The kinds whose pod spec needs no configuration. */
export const builtinPodKinds = Object.keys(podSpecPaths);
const builtinGroups = /^(v1|(apps|batch|extensions)\/[a-z0-9]+)$/;
export const containerLists = ['containers', 'initContainers', 'ephemeralContainers'] as const;

/** `Rollout=spec.template.spec` (one kind) or `spec.template.spec` (any kind). */
function extraPaths(kind: string, fieldPaths: readonly string[]): string[][] {
  return fieldPaths.flatMap((entry) => {
    const eq = entry.indexOf('=');
    const forKind = eq === -1 ? undefined : entry.slice(0, eq);
    const path = eq === -1 ? entry : entry.slice(eq + 1);
    return forKind === undefined || forKind === kind ? [path.split('.').filter((s) => s !== '')] : [];
  });
}

/** The paths of a resource's pod specs (none for a resource that is not a workload). */
export function podSpecsOf(value: Record<string, unknown>, fieldPaths: readonly string[]): string[][] {
  const kind = String(value.kind);
  const builtin = podSpecPaths[kind] && builtinGroups.test(String(value.apiVersion)) ? [podSpecPaths[kind] as string[]] : [];
  // A path given for every kind may be a built-in kind's own: each pod spec is visited once.
  const seen = new Set<string>();
  return [...builtin, ...extraPaths(kind, fieldPaths)].filter((path) => {
    const id = path.join('.');
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

export interface EnvEntry {
  /** The container's name (or #index when it has none). */
  container: string;
  /** Path of the env entry (a mapping) inside the resource. */
  entryPath: PathSegment[];
  /** The names of every env entry of the same container. */
  siblings: ReadonlySet<string>;
  name: string;
  /** The literal `value`; entries with valueFrom are not listed. */
  value: string;
}

/** Every literal env value of every container of every pod spec. */
export function envEntries(value: Record<string, unknown>, fieldPaths: readonly string[]): EnvEntry[] {
  const out: EnvEntry[] = [];
  for (const spec of podSpecsOf(value, fieldPaths)) {
    for (const list of containerLists) {
      const containers = get(value, [...spec, list]);
      if (!Array.isArray(containers)) continue;
      containers.forEach((container: unknown, ci) => {
        const env = get(container, ['env']);
        if (!Array.isArray(env)) return;
        const containerName = String(get(container, ['name']) ?? `#${ci}`);
        const siblings = new Set(env.map((e: unknown) => get(e, ['name'])).filter((n): n is string => typeof n === 'string'));
        env.forEach((entry: unknown, ei) => {
          const name = get(entry, ['name']);
          const text = get(entry, ['value']);
          if (typeof name === 'string' && typeof text === 'string') {
            out.push({ container: containerName, entryPath: [...spec, list, ci, 'env', ei], siblings, name, value: text });
          }
        });
      });
    }
  }
  return out;
}

/** Every field of a pod spec that names a Secret, with its path and what it says. */
export function secretRefs(value: Record<string, unknown>, fieldPaths: readonly string[]): Array<[PathSegment[], unknown]> {
  const refs: Array<[PathSegment[], unknown]> = [];
  const each = (list: unknown, at: PathSegment[], visit: (entry: unknown, path: PathSegment[]) => void) => {
    if (Array.isArray(list)) list.forEach((entry, i) => visit(entry, [...at, i]));
  };
  for (const specPath of podSpecsOf(value, fieldPaths)) {
    const spec = get(value, specPath);
    for (const listName of containerLists) {
      each(get(spec, [listName]), [...specPath, listName], (container, cpath) => {
        each(get(container, ['envFrom']), [...cpath, 'envFrom'], (e, p) => refs.push([[...p, 'secretRef', 'name'], get(e, ['secretRef', 'name'])]));
        each(get(container, ['env']), [...cpath, 'env'], (e, p) =>
          refs.push([[...p, 'valueFrom', 'secretKeyRef', 'name'], get(e, ['valueFrom', 'secretKeyRef', 'name'])]),
        );
      });
    }
    each(get(spec, ['volumes']), [...specPath, 'volumes'], (v, p) => {
      refs.push([[...p, 'secret', 'secretName'], get(v, ['secret', 'secretName'])]);
      each(get(v, ['projected', 'sources']), [...p, 'projected', 'sources'], (s, sp) => refs.push([[...sp, 'secret', 'name'], get(s, ['secret', 'name'])]));
    });
    each(get(spec, ['imagePullSecrets']), [...specPath, 'imagePullSecrets'], (s, p) => refs.push([[...p, 'name'], get(s, ['name'])]));
  }
  return refs;
}
