import type { z } from 'zod';

/**
 * Field name → why it was refused, one message per field. Unknown fields are named one by one;
 * an error about the body as a whole is reported under `body`. The map has no prototype: a field
 * a caller names `constructor` or `__proto__` is reported like any other (found by the fuzz test).
 */
export function fieldsOf(error: z.ZodError): Record<string, string> {
  const fields = Object.create(null) as Record<string, string>;
  const note = (name: string, why: string) => {
    if (!Object.hasOwn(fields, name)) fields[name] = why;
  };
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) note([...issue.path, key].join('.'), 'is not an accepted field');
      continue;
    }
    note(issue.path.length > 0 ? issue.path.join('.') : 'body', issue.message);
  }
  return fields;
}
