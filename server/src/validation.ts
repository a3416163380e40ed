import type { z } from 'zod';

/**
 * Field name → why it was refused, one message per field. Unknown fields are named one by one;
 * an error about the body as a whole is reported under `body`.
 */
export function fieldsOf(error: z.ZodError): Record<string, string> {
  // A Map, not an object literal: a field named `constructor` or `__proto__` is a field like any other.
  const fields = new Map<string, string>();
  const add = (name: string, why: string) => {
    if (!fields.has(name)) fields.set(name, why);
  };
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) add([...issue.path, key].join('.'), 'is not an accepted field');
      continue;
    }
    add(issue.path.length > 0 ? issue.path.join('.') : 'body', issue.message);
  }
  return Object.fromEntries(fields);
}
