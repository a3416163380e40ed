import type { FastifySchemaCompiler, FastifyServerOptions } from 'fastify';
import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import type { z } from 'zod';
import { validationError } from '../errors.ts';
import { fieldsOf } from '../validation.ts';

/**
 * Validates a request part with the route's zod schema. A refusal becomes the contract's
 * `validation_failed` error naming each field, so no route writes its own safeParse block.
 * Header names are reported as the client wrote them in the contract (`Idempotency-Key`).
 */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema, httpPart }) =>
  (data) => {
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    const fields = fieldsOf(result.error);
    return { error: validationError(httpPart === 'headers' ? headerCase(fields) : fields) };
  };

/**
 * Response schemas describe answers in the OpenAPI document; answers are serialised as they are,
 * since every answer is built from the same shared types the schemas come from.
 */
export const plainSerializerCompiler: FastifySerializerCompiler<unknown> = () => (data) => JSON.stringify(data);

/**
 * Fastify's `schemaController` with these compilers from the outset. Without it, creating the app
 * loads Ajv and fast-json-stringify (~110 ms of every start) only for `setValidatorCompiler` and
 * `setSerializerCompiler` to replace them.
 */
export const zodSchemaController: SchemaController = {
  compilersFactory: {
    // Fastify types these factories for Ajv's JSON schemas; ours take zod's, as the compilers
    // given to setValidatorCompiler and setSerializerCompiler do.
    buildValidator: (() => zodValidatorCompiler) as unknown as NonNullable<CompilerFactories['buildValidator']>,
    buildSerializer: (() => plainSerializerCompiler) as unknown as NonNullable<CompilerFactories['buildSerializer']>,
  },
};

type SchemaController = NonNullable<FastifyServerOptions['schemaController']>;
type CompilerFactories = NonNullable<SchemaController['compilersFactory']>;

function headerCase(fields: Record<string, string>): Record<string, string> {
  const named: Record<string, string> = {};
  for (const [name, why] of Object.entries(fields)) {
    named[name.replace(/(^|-)([a-z])/g, (_m, dash: string, letter: string) => dash + letter.toUpperCase())] = why;
  }
  return named;
}
