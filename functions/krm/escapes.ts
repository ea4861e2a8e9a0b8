// What a YAML text could spell through double-quoted escapes, found without
// parsing it. An item is parsed only when it could concern kmsecret (render/plan.ts,
// krm/pass-through.ts); an escape (`\x6b`, `\u006b`, a `\` line continuation)
// could spell a marker of ours without its letters. Parsing every item with an
// escape made a package of CRDs with escaped descriptions cost seconds, so the
// escapes are decoded here, across the whole text, and the markers looked for in
// the result.
//
// Decoding the whole text, not only the double-quoted scalars, finds at least
// what the parser would: a double-quoted scalar never starts right after a
// backslash, so every escape inside one is read here as the parser reads it; a
// `\` line continuation also drops every blank line after it (the parser keeps
// them as line breaks), which can only join more, never less. A continuation is
// any line break go-yaml knows, so text that `yaml` refuses but kubectl would
// read is decoded too. What is decoded
// outside double quotes can only add matches, which cost a parse, never a miss.

// A line continuation: a backslash, a line break (YAML 1.2's LF, CRLF, CR, and the NEL, LS and PS
// go-yaml (kustomize, kpt) also takes), and the white space after it.
const escape = /\\(?:x([0-9A-Fa-f]{2})|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(?:\r\n?|\n|\u0085|\u2028|\u2029)[\s\u0085]*|([\s\S]))/g;
/** An escape that can make a letter: \x, \u, \U, or a line continuation. */
export const letterEscape = /\\[xuU\r\n\u0085\u2028\u2029]/;

const single: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  t: '\t',
  '\t': '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  e: '\x1b',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
};

/** Whether the text has an escape that can make a letter (most manifests have none). */
export function hasLetterEscapes(text: string): boolean {
  return letterEscape.test(text);
}

/** Whether `found` holds for the text as written, or for it with its escapes decoded (decoded
 *  only when an escape could make a letter). */
export function spells(text: string, found: (text: string) => boolean): boolean {
  return found(text) || (hasLetterEscapes(text) && found(unescaped(text)));
}

/** A tag with a %-escape (`!!%62inary`): the parser decodes it, so it could name any tag. */
export const escapedTag = /!\S*%/;

/** The text with every escape decoded, as if all of it were one double-quoted scalar. */
export function unescaped(text: string): string {
  return text.replace(escape, (_all, x?: string, u?: string, big?: string, other?: string) => {
    const hex = x ?? u ?? big;
    if (hex !== undefined) {
      const code = Number.parseInt(hex, 16);
      return code <= 0x10ffff ? String.fromCodePoint(code) : '';
    }
    // A line continuation, or an escape YAML does not know (the parser rejects it): nothing.
    if (other === undefined) return '';
    return single[other] ?? other;
  });
}
