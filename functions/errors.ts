// Every failure the user can act on is a KmsecretError: a category (which
// decides the exit code), a one-line message, where it happened, and what to
// do. Messages are built only from names, paths and provider error names —
// never from a decrypted value — so any of them may be printed or returned in
// KRM results as they are.

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
    return Math.max(...this.errors.map((e) => e.exitCode));
  }
}

export function usageError(message: string, hint?: string): KmsecretError {
  return new KmsecretError('usage', message, {}, hint);
}

export function inputError(message: string, place: ErrorPlace = {}, hint?: string): KmsecretError {
  return new KmsecretError('input', message, place, hint);
}

/** Flattens whatever was thrown into KmsecretErrors; anything unexpected becomes `internal`
 *  with only its class name and message (never its stack, never its properties). */
export function asErrorList(thrown: unknown): KmsecretError[] {
  if (thrown instanceof KmsecretErrors) return thrown.errors;
  if (thrown instanceof KmsecretError) return [thrown];
  const message = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
  return [new KmsecretError('internal', `internal error: ${message}`, {}, 'please report this at the project issue tracker')];
}

/** `team-a/Secret/app` style label for messages. */
export function describeResource(ref: ResourceRef | undefined): string {
  if (!ref) return '';
  const ns = ref.namespace ? `${ref.namespace}/` : '';
  return `${ref.kind ?? 'resource'} ${ns}${ref.name ?? '(unnamed)'}`;
}

/** One or two lines for a human: what, where, what to do. */
export function formatError(error: KmsecretError): string {
  const where: string[] = [];
  if (error.place.file) where.push(error.place.line ? `${error.place.file}:${error.place.line}` : error.place.file);
  if (error.place.resource) where.push(describeResource(error.place.resource));
  if (error.place.field) where.push(error.place.field);
  const head = where.length > 0 ? `${where.join(' ')}: ${error.message}` : error.message;
  return error.hint ? `${head}\n  hint: ${error.hint}` : head;
}
