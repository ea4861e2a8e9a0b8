// Paths inside resources: walking them, and writing them for messages and KRM
// results (spec.containers[0].env[2].value, data["tls.crt"]).

export type PathSegment = string | number;

export function fieldPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** Every string in a plain value, with its path (the value is read with the failsafe schema, so
 *  all scalars are strings — except `!!binary` ones, which are given as the text they decode to). */
export function* strings(value: unknown, path: PathSegment[] = []): Generator<[PathSegment[], string]> {
  if (typeof value === 'string') {
    yield [path, value];
  } else if (value instanceof Uint8Array) {
    yield [path, Buffer.from(value).toString('latin1')];
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* strings(value[i], [...path, i]);
  } else if (value instanceof Map) {
    // !!omap and !!pairs read as a Map, with keys of any kind.
    for (const [k, v] of value) {
      const key = typeof k === 'string' ? k : String(k);
      yield* strings(k, [...path, key]);
      yield* strings(v, [...path, key]);
    }
  } else if (value instanceof Set) {
    // !!set
    let i = 0;
    for (const v of value) yield* strings(v, [...path, i++]);
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      yield [[...path, k], k];
      yield* strings(v, [...path, k]);
    }
  }
}

/** The segments of a path fieldPath wrote (a.b[0]["x.y"]); undefined if it is not one. */
export function fieldSegments(path: string): PathSegment[] | undefined {
  const segments: PathSegment[] = [];
  const re = /\.?([A-Za-z_$][A-Za-z0-9_$-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/gy;
  let at = 0;
  while (at < path.length) {
    re.lastIndex = at;
    const m = re.exec(path);
    if (!m) return undefined;
    if (m[1] !== undefined) segments.push(m[1]);
    else if (m[2] !== undefined) segments.push(Number(m[2]));
    else segments.push(JSON.parse(m[3] as string) as string);
    at = re.lastIndex;
  }
  return segments;
}

/** The node at `path` in a plain value, or undefined. */
export function get(value: unknown, path: readonly PathSegment[]): unknown {
  let node = value;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}
