// Placeholder mode: a render with no key at all, for pipelines that only
// validate or diff manifests. Each value becomes an obvious fake that still
// shows which key it stands for and where it is bound.
import type { PlannedValue } from './values.js';

export const placeholderPrefix = 'kmsecret-placeholder:';

export function placeholderFor(value: PlannedValue): Uint8Array {
  const { namespace, name, key } = value.form === 'token' ? value.token.binding : value.home;
  return new TextEncoder().encode(`${placeholderPrefix}${[namespace, name, key].filter((s) => s !== '').join('/')}`);
}
