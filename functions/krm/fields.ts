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
 *  all scalars are strings — except `!!binary` ones, which are given as the text they decode to).
 *  One walk with one path stack: the guard runs this over every Secret a render makes. */
export function strings(value: unknown): Array<[PathSegment[], string]> {
  const found: Array<[PathSegment[], string]> = [];
  const path: PathSegment[] = [];
  const under = (segment: PathSegment, visit: () => void) => {
    path.push(segment);
    visit();
    path.pop();
  };
  const walk = (node: unknown): void => {
    if (typeof node === 'string') {
      found.push([[...path], node]);
    } else if (node instanceof Uint8Array) {
      found.push([[...path], Buffer.from(node).toString('latin1')]);
    } else if (Array.isArray(node)) {
      node.forEach((item, i) => under(i, () => walk(item)));
    } else if (node instanceof Map) {
      // !!omap and !!pairs read as a Map, with keys of any kind.
      for (const [k, v] of node) {
        under(typeof k === 'string' ? k : String(k), () => {
          walk(k);
          walk(v);
        });
      }
    } else if (node instanceof Set) {
      // !!set
      let i = 0;
      for (const item of node) under(i++, () => walk(item));
    } else if (typeof node === 'object' && node !== null) {
      for (const [k, v] of Object.entries(node)) {
        under(k, () => {
          found.push([[...path], k]);
          walk(v);
        });
      }
    }
  };
  walk(value);
  return found;
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
