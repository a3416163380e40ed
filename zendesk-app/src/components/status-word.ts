import type { Translate } from '../i18n.tsx';
import { isPending, isRejected, type LicenseRecord } from '../policies.ts';

export type Tone = 'success' | 'warning' | 'danger';

/** The word the status region and the history show for a license, and its colour. */
export function statusOf(record: LicenseRecord, t: Translate): { word: string; tone: Tone } {
  if (isRejected(record)) return { word: t('result.rejected'), tone: 'danger' };
  if (isPending(record)) return { word: t('result.waiting'), tone: 'warning' };
  const { status } = record.delivery;
  if (status === 'sent') return { word: t('result.status.sent'), tone: 'success' };
  if (status === 'queued') return { word: t('result.status.queued'), tone: 'warning' };
  return { word: t(`result.status.${status}`), tone: 'danger' };
}
