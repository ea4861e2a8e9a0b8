// The ajv validators of the published schemas. Here they are compiled on first
// use; the build (scripts/build.mjs) replaces this module with the same
// validators compiled ahead of time by ajv's standalone code generator, so the
// shipped function neither loads ajv's compiler nor compiles at every start.
import { Ajv, type ValidateFunction } from 'ajv';
import kmsSecretSchema from '../../schemas/kmssecret.schema.json' with { type: 'json' };
import generatorSchema from '../../schemas/kmssecretgenerator.schema.json' with { type: 'json' };
import transformerSchema from '../../schemas/kmssecrettransformer.schema.json' with { type: 'json' };

export type SchemaName = 'KmsSecret' | 'KmsSecretTransformer' | 'KmsSecretGenerator';

export const schemas: Record<SchemaName, object> = {
  KmsSecret: kmsSecretSchema,
  KmsSecretTransformer: transformerSchema,
  KmsSecretGenerator: generatorSchema,
};

/** coerceTypes: resources are read with the failsafe schema (every scalar a string),
 *  so "16" must be allowed to satisfy `type: integer` in a config. */
export const ajvOptions = { allErrors: true, coerceTypes: true, strict: true } as const;

let ajv: Ajv | undefined;
const compiled = new Map<SchemaName, ValidateFunction>();

export function validator(name: SchemaName): ValidateFunction {
  let validate = compiled.get(name);
  if (!validate) {
    ajv ??= new Ajv(ajvOptions);
    validate = ajv.compile(schemas[name]);
    compiled.set(name, validate);
  }
  return validate;
}
