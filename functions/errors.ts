// Every failure the user can act on is a KmsecretError: a category (which
// decides the exit code), a one-line message, where it happened, and what to
// do. Messages are built only from names, paths and provider error names —
// never from a decrypted value — so any of them may be printed or returned in
// KRM results as they are. This file is also the one error report: the lines
// kmsecret-fn, every CLI command and `kmsecret check` print.

/** Categories, each with its documented exit code (README, "Exit codes"). */
export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  input: 3,
  decrypt: 4,
  unavailable: 5,
} as const;

export type ErrorCategory = Exclude<keyof typeof ExitCode, 'ok'>;

/** The resource a message is about, as KRM results name it. */
export interface ResourceRef {
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}

export interface ErrorPlace {
  /** The resource holding the field, when there is one. */
  resource?: ResourceRef;
  /** A dotted field path inside that resource, e.g. `data.DB_PASSWORD`. */
  field?: string;
  /** The file the resource came from (kpt's path annotation, a CLI argument). */
  file?: string;
  /** 1-based line in `file`, where known. */
  line?: number;
}

export class KmsecretError extends Error {
  override readonly name = 'KmsecretError';
  constructor(
    readonly category: ErrorCategory,
    message: string,
    readonly place: ErrorPlace = {},
    /** What the user should do next; shown after the message. */
    readonly hint?: string,
  ) {
    super(message);
  }

  get exitCode(): number {
    return ExitCode[this.category];
  }

  /** The same error, placed at a resource/field (keeps any place already set). */
  at(place: ErrorPlace): KmsecretError {
    return new KmsecretError(this.category, this.message, { ...place, ...this.place }, this.hint);
  }
}

/** Several independent failures found in one pass (e.g. every bad token of a render). */
export class KmsecretErrors extends Error {
  override readonly name = 'KmsecretErrors';
  constructor(readonly errors: KmsecretError[]) {
    super(errors.map((e) => e.message).join('; '));
  }

  /** The most severe category decides the exit code. */
  get exitCode(): number {
    return exitCodeOf(this.errors);
  }
}

export function exitCodeOf(errors: readonly KmsecretError[]): number {
  return errors.length === 0 ? 0 : Math.max(...errors.map((e) => e.exitCode));
}

export function usageError(message: string, hint?: string): KmsecretError {
  return new KmsecretError('usage', message, {}, hint);
}

export function inputError(message: string, place: ErrorPlace = {}, hint?: string): KmsecretError {
  return new KmsecretError('input', message, place, hint);
}

/** Flattens whatever was thrown into KmsecretErrors; anything unexpected becomes `internal`
 *  with only its class name (never its message, stack or properties: a library's message
 *  may quote the input it choked on). */
export function asErrorList(thrown: unknown): KmsecretError[] {
  if (thrown instanceof KmsecretErrors) return thrown.errors;
  if (thrown instanceof KmsecretError) return [thrown];
  const name = thrown instanceof Error ? thrown.name : typeof thrown;
  return [new KmsecretError('internal', `internal error (${name})`, {}, 'this is a bug in kmsecret: please report it with the command you ran')];
}

/**
 * Text from outside (a file name, a resource name, a header field) made safe to print:
 * control characters, line and paragraph separators and bidirectional overrides become
 * visible escapes, so no message can hold a raw ESC (terminal and `git diff` colours), a
 * carriage return that hides a line, or a newline that starts a CI command (`::error`).
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** `Secret team-a/app` style label for messages. */
export function describeResource(ref: ResourceRef | undefined): string {
  if (!ref) return '';
  const ns = ref.namespace ? `${ref.namespace}/` : '';
  return printable(`${ref.kind ?? 'resource'} ${ns}${ref.name ?? '(unnamed)'}`);
}

/** Where an error happened, as one prefix: `FILE:LINE KIND NS/NAME FIELD`. */
export function describePlace(place: ErrorPlace): string {
  const where: string[] = [];
  if (place.file) where.push(printable(place.line ? `${place.file}:${place.line}` : place.file));
  if (place.resource) where.push(describeResource(place.resource));
  if (place.field) where.push(printable(place.field));
  return where.join(' ');
}

/** One or two lines for a human: what, where, what to do. */
export function formatError(error: KmsecretError): string {
  const where = describePlace(error.place);
  const message = printable(error.message);
  const head = where ? `${where}: ${message}` : message;
  return error.hint ? `${head}\n  hint: ${printable(error.hint)}` : head;
}

/** The same error as plain data (`kmsecret check -o json`, KRM results). */
export interface ErrorRecord {
  category: ErrorCategory;
  message: string;
  hint?: string;
  file?: string;
  line?: number;
  resource?: ResourceRef;
  field?: string;
}

export function errorRecord(error: KmsecretError): ErrorRecord {
  const record: ErrorRecord = { category: error.category, message: printable(error.message) };
  if (error.hint) record.hint = printable(error.hint);
  const { file, line, resource, field } = error.place;
  if (file) record.file = printable(file);
  if (line) record.line = line;
  if (resource) record.resource = Object.fromEntries(Object.entries(resource).map(([k, v]) => [k, printable(String(v))])) as ResourceRef;
  if (field) record.field = printable(field);
  return record;
}

/** Text the user gave as an argument, quoted in a message only when it cannot be a secret
 *  (a short word of key-id characters); otherwise only its length is said. */
export function quoteArgument(text: string): string {
  if (/^AGE-SECRET-KEY-/i.test(text) || !/^[A-Za-z0-9:/._@-]{1,128}$/.test(text)) return `(an argument of ${text.length} characters, not shown)`;
  return `"${text}"`;
}
