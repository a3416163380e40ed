import { ApiError } from './api.ts';
import type { Translate } from './i18n.tsx';

/** One sentence for the agent: the service's own message, or what went wrong on the way to it. */
export function describeError(error: unknown, t: Translate): string {
  if (error instanceof ApiError) return error.code === 'network_error' ? t('error.network') : error.message;
  return t('error.unknown', { message: error instanceof Error ? error.message : String(error) });
}
