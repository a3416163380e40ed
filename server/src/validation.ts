import type { z } from 'zod';

/**
 * Field name → why it was refused, one message per field. Unknown fields are named one by one;
 * an error about the body as a whole is reported under `body`.
 */
export function fieldsOf(error: z.ZodError): Record<string, string> {
  const fields: Record<string, string> = {};
  // Own properties only: a field named `constructor` must not find the prototype's, and one named
  // `__proto__` must become a field, not a prototype.
  const keep = (name: string, why: string) => {
    if (!Object.hasOwn(fields, name)) {
      Object.defineProperty(fields, name, { value: why, enumerable: true, writable: true, configurable: true });
    }
  };
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) keep([...issue.path, key].join('.'), 'is not an accepted field');
      continue;
    }
    keep(issue.path.length > 0 ? issue.path.join('.') : 'body', issue.message);
  }
  return fields;
}
