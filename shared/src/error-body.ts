import { z } from 'zod';

/**
 * Every error the service answers with. `fields` (field name → why it was refused) appears only on
 * validation errors, so a form can show each message beside its field.
 */
export const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    fields: z.record(z.string(), z.string()).optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;
