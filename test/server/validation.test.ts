import { fieldsOf } from '@mintdesk/server/validation.ts';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

describe('fieldsOf', () => {
  // Found by the mint fuzz: `{"constructor":0}` answered 400 with no field named, because the
  // plain object's prototype already "had" a constructor.
  it('names unknown fields called like Object.prototype members (constructor, toString, __proto__)', () => {
    const schema = z.strictObject({ agent: z.string() });
    const result = schema.safeParse(JSON.parse('{"agent":"a","constructor":0,"toString":1,"__proto__":2}'));
    expect(result.success).toBe(false);
    const fields = fieldsOf((result as { error: z.ZodError }).error);
    expect(Object.keys(fields).sort()).toEqual(['__proto__', 'constructor', 'toString']);
    expect(fields.constructor).toBe('is not an accepted field');
  });
});
