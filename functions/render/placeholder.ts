// Placeholder mode: a render with no key at all, for pipelines that only
// validate or diff manifests. Each value becomes an obvious fake that still
// shows which key it stands for and where it is bound.
import type { Plaintexts, PlannedValue } from './values.js';

export const placeholderPrefix = 'kmsecret-placeholder:';

export function placeholders(values: readonly PlannedValue[]): Plaintexts {
  const out = new Map<PlannedValue, Uint8Array>();
  for (const value of values) {
    const { namespace, name, key } = value.form === 'token' ? value.token.binding : value.home;
    out.set(value, new TextEncoder().encode(`${placeholderPrefix}${[namespace, name, key].filter((s) => s !== '').join('/')}`));
  }
  return out;
}
