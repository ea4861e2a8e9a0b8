// Validation against the JSON Schemas published in schemas/, with ajv
// (validators.ts), and errors that name the field.
import type { ErrorObject } from 'ajv';
import { type ErrorPlace, KmsecretError, KmsecretErrors, inputError } from '../errors.js';
import { type SchemaName, validator } from './validators.js';

export type { SchemaName };

function fieldOf(error: ErrorObject): string {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (error.keyword === 'additionalProperties') path.push(String(error.params.additionalProperty));
  if (error.keyword === 'propertyNames' || error.params.propertyName !== undefined) path.push(String(error.params.propertyName));
  return (
    path
      .map((p, i) => (/^[0-9]+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`))
      .join('')
      .replace(/\.\[/g, '[') || '(top level)'
  );
}

function messageOf(error: ErrorObject): string {
  switch (error.keyword) {
    case 'additionalProperties':
      return 'is not a field of this kind';
    case 'required':
      return `is missing required field "${String(error.params.missingProperty)}"`;
    case 'const':
      return `must be ${JSON.stringify(error.params.allowedValue)}`;
    case 'enum':
      return `must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'pattern':
      if (/metadata\/(name|namespace)$/.test(error.instancePath)) return 'must be a lowercase DNS name (a-z, 0-9, "-", ".")';
      if (/^\/data\//.test(error.instancePath)) return 'is not a kmsecret token (encrypt values with `kmsecret set`)';
      return `must match ${String(error.params.pattern)}`;
    case 'propertyNames':
      return 'is not a valid key name';
    default:
      return error.message ?? 'is invalid';
  }
}

/** Throws one KmsecretError per schema violation, each naming the field. */
export function validate(name: SchemaName, value: unknown, place: ErrorPlace): void {
  const check = validator(name);
  if (check(value)) return;
  const errors = (check.errors ?? [])
    // propertyNames reports the failing name twice (the name, then the pattern); keep one.
    .filter((e) => !(e.keyword === 'pattern' && e.propertyName !== undefined))
    .map((e) => {
      const field = e.keyword === 'required' ? fieldOf(e) : fieldOf(e);
      const at = field === '(top level)' ? '' : field;
      return inputError(
        `${name} field ${at || '(top level)'} ${messageOf(e)}`,
        { ...place, ...(at ? { field: at } : {}) },
        `see schemas/${name.toLowerCase()}.schema.json`,
      );
    });
  throw errors.length === 1 ? (errors[0] as KmsecretError) : new KmsecretErrors(errors.length ? errors : [inputError(`invalid ${name}`, place)]);
}
