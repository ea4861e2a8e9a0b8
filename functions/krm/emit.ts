// Writing the resources we generate (Secrets): a few nested mappings of
// strings, so a small emitter does it, quickly and predictably. A string is
// written plain only when every YAML reader (1.1 or 1.2, any schema) must read
// it back as that same string; otherwise it is double-quoted (doubleQuoted).

export type Emittable = string | boolean | number | { [key: string]: Emittable } | Emittable[];

// ":" may sit inside a plain scalar (a token: kmsecret:v2:…), never at its end or before a space.
const plainChars = /^[A-Za-z_./]([A-Za-z0-9_./+=:-]*[A-Za-z0-9_./+=-])?$/;
const special = /^(true|false|yes|no|on|off|y|n|null|~|\.inf|\.nan)$/i;

/** Anything some reader's float or int pattern could take (".", "._", ".e0", "e0" are floats to the yaml library's 1.1 schema). */
const numberLike = /^[-+]?[0-9_]*\.?[0-9_]*([eE][-+]?[0-9_]*)?$/;

export function scalar(text: string): string {
  return plainChars.test(text) && !special.test(text) && !numberLike.test(text) ? text : doubleQuoted(text);
}

/**
 * Any text as a YAML double-quoted scalar that every reader gives back exactly: JSON's
 * escapes (which YAML's double-quoted style accepts), plus escapes for what JSON leaves
 * raw but YAML readers treat as line breaks or refuse: DEL, the C1 controls (NEL, U+0085,
 * among them), U+2028, U+2029, a BOM, and the non-characters U+FFFE and U+FFFF.
 */
export function doubleQuoted(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Appends the lines of a non-empty collection at `indent` to `out`; false (and nothing
 *  appended) for a value written inline. One array for the whole resource: a Secret of many
 *  keys is written in one pass, in a process too short for the JIT to help. */
function pushBlock(value: Emittable, indent: string, out: string[]): boolean {
  const deeper = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return false;
    for (const item of value) {
      const first = out.length;
      if (pushBlock(item, deeper, out)) out[first] = `${indent}- ${(out[first] as string).trimStart()}`;
      else out.push(`${indent}- ${inline(item)}`);
    }
    return true;
  }
  if (typeof value !== 'object' || value === null) return false;
  const keys = Object.keys(value);
  if (keys.length === 0) return false;
  for (const key of keys) {
    const field = value[key] as Emittable;
    const at = out.length;
    const written = scalar(key);
    out.push(`${indent}${written}:`);
    if (!pushBlock(field, deeper, out)) out[at] = `${indent}${written}: ${inline(field)}`;
  }
  return true;
}

function inline(value: Emittable): string {
  if (typeof value === 'string') return scalar(value);
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  return Array.isArray(value) ? '[]' : '{}';
}

/** A resource as block YAML; asSeqItem writes it as one `- ` item at `column`. */
export function emitResource(value: Record<string, Emittable>, asSeqItem: boolean, column: number): string {
  const indent = ' '.repeat(column + (asSeqItem ? 2 : 0));
  const lines: string[] = [];
  if (!pushBlock(value, indent, lines)) lines.push(`${indent}{}`);
  if (asSeqItem) lines[0] = `${' '.repeat(column)}- ${(lines[0] as string).trimStart()}`;
  return `${lines.join('\n')}\n`;
}
