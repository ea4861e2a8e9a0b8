// Where workloads keep their pod specs: the built-in pod-bearing kinds, and
// extra paths the config names for custom kinds (an Argo Rollout, say).
import type { RenderConfig } from '../model/config.js';
import type { PathSegment } from './fields.js';

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

export function get(value: unknown, path: readonly PathSegment[]): unknown {
  let node = value;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

/** `Rollout=spec.template.spec` (one kind) or `spec.template.spec` (any kind). */
function extraPaths(kind: string, fieldPaths: readonly string[]): string[][] {
  return fieldPaths.flatMap((entry) => {
    const eq = entry.indexOf('=');
    const forKind = eq === -1 ? undefined : entry.slice(0, eq);
    const path = eq === -1 ? entry : entry.slice(eq + 1);
    return forKind === undefined || forKind === kind ? [path.split('.').filter((s) => s !== '')] : [];
  });
}

export function podSpecsOf(value: Record<string, unknown>, config: RenderConfig): string[][] {
  const kind = String(value.kind);
  const builtin = podSpecPaths[kind] && builtinGroups.test(String(value.apiVersion)) ? [podSpecPaths[kind] as string[]] : [];
  return [...builtin, ...extraPaths(kind, config.env.fieldPaths)];
}

