import type { z } from 'zod';

/**
 * Field name → why it was refused, one message per field. Unknown fields are named one by one;
 * an error about the body as a whole is reported under `body`.
 */
export function fieldsOf(error: z.ZodError): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) fields[[...issue.path, key].join('.')] ??= 'is not an accepted field';
      continue;
    }
    const name = issue.path.length > 0 ? issue.path.join('.') : 'body';
    fields[name] ??= issue.message;
  }
  return fields;
}
