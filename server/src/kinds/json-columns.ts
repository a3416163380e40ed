/** A JSON object column (`extra_claims`, `details`); null or anything else reads as `{}`. */
export function parseJsonObject(text: string | null): Record<string, unknown> {
  if (text === null || text === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}
