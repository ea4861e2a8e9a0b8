// One token, found at a place: well formed, and sitting where it was bound.
import { type ErrorPlace, KmsecretError, inputError } from '../errors.js';
import { bindingFor, describeBinding, sameBinding, type Home } from '../token/binding.js';
import { isTokenProblem, parseToken } from '../token/token.js';
import type { PlannedValue } from './values.js';

/** Parses a token found at `place` and checks it sits where it was bound. */
export function planToken(text: string, home: Home, place: ErrorPlace, errors: KmsecretError[]): PlannedValue | undefined {
  const token = parseToken(text);
  if (isTokenProblem(token)) {
    errors.push(inputError(`value ${token.problem}`, place, token.hint));
    return undefined;
  }
  const expected = bindingFor(token.binding.scope, home);
  if (!sameBinding(token.binding, expected)) {
    errors.push(
      new KmsecretError(
        'input',
        `value was encrypted for ${describeBinding(token.binding)}, not for ${describeBinding(expected)}`,
        place,
        'a token decrypts only where it was written for; encrypt the value again here with `kmsecret set` (a kustomize overlay that changes the namespace needs its own values)',
      ),
    );
    return undefined;
  }
  return { form: 'token', token, place };
}
