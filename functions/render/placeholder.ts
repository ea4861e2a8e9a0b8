// Placeholder mode: a render with no key at all, for pipelines that only
// validate or diff manifests. Each value becomes an obvious fake that still
// shows which key it stands for and where it is bound.
import type { PlannedValue } from './values.js';

export const placeholderPrefix = 'kmsecret-placeholder:';

export function placeholderFor(value: PlannedValue): Uint8Array {
  const text =
    value.form === 'token'
      ? `${placeholderPrefix}${[value.token.binding.namespace, value.token.binding.name, value.token.binding.key].filter((s) => s !== '').join('/')}`
      : `${placeholderPrefix}shush/${value.place.resource?.namespace ?? ''}/${value.place.resource?.name ?? ''}/${value.place.field ?? ''}`;
  return new TextEncoder().encode(text);
}
