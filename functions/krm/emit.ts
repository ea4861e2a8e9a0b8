// Writing the resources we generate (Secrets): a few nested mappings of
// strings, so a small emitter does it, quickly and predictably. A string is
// written plain only when every YAML reader (1.1 or 1.2, any schema) must read
// it back as that same string; otherwise it is double-quoted with JSON escapes,
// which YAML's double-quoted style accepts as they are.

export type Emittable = string | boolean | number | { [key: string]: Emittable } | Emittable[];

const plainChars = /^[A-Za-z_./][A-Za-z0-9_./+=-]*$/;
const special = /^(true|false|yes|no|on|off|y|n|null|~|\.inf|\.nan)$/i;

/** Anything some reader's float or int pattern could take (".", "._", ".e0", "e0" are floats to the yaml library's 1.1 schema). */
const numberLike = /^[-+]?[0-9_]*\.?[0-9_]*([eE][-+]?[0-9_]*)?$/;

export function scalar(text: string): string {
  return plainChars.test(text) && !special.test(text) && !numberLike.test(text) ? text : JSON.stringify(text);
}

/** The lines of a non-empty collection at `indent`, or undefined for a value written inline. */
function block(value: Emittable, indent: string): string[] | undefined {
  if (Array.isArray(value)) {
    if (value.length === 0) return undefined;
    return value.flatMap((item) => {
      const nested = block(item, `${indent}  `);
      return nested ? [`${indent}- ${(nested[0] as string).trimStart()}`, ...nested.slice(1)] : [`${indent}- ${inline(item)}`];
    });
  }
  if (typeof value !== 'object' || value === null || Object.keys(value).length === 0) return undefined;
  return Object.entries(value).flatMap(([key, v]) => {
    const nested = block(v, `${indent}  `);
    return nested ? [`${indent}${scalar(key)}:`, ...nested] : [`${indent}${scalar(key)}: ${inline(v)}`];
  });
}

function inline(value: Emittable): string {
  if (typeof value === 'string') return scalar(value);
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  return Array.isArray(value) ? '[]' : '{}';
}

/** A resource as block YAML; asSeqItem writes it as one `- ` item at `column`. */
export function emitResource(value: Record<string, Emittable>, asSeqItem: boolean, column: number): string {
  const lines = block(value, ' '.repeat(column + (asSeqItem ? 2 : 0))) ?? [`${' '.repeat(column + (asSeqItem ? 2 : 0))}{}`];
  if (asSeqItem) lines[0] = `${' '.repeat(column)}- ${(lines[0] as string).trimStart()}`;
  return `${lines.join('\n')}\n`;
}
