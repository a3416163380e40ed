import { AppError } from '../errors.ts';
import { parseJsonObject } from '../kinds/json-columns.ts';
import type { LicenseRow } from '../store/sql-store.ts';

/**
 * What may have changed while a license waited for approval, checked again before it is signed:
 * an end date that has passed (an order's `endsAt`, an add-on's inherited end), and for an
 * add-on a base license that is gone, was never issued, has expired or has been revoked.
 * Throws `409 approval_outdated` naming why; nothing is signed then.
 */
export async function checkStillIssuable(
  row: LicenseRow,
  now: Date,
  findLicense: (id: string) => Promise<LicenseRow | undefined>,
): Promise<void> {
  if (row.expires_at !== null && new Date(row.expires_at).getTime() <= now.getTime())
    throw outdated(`License ${row.id} would have ended on ${row.expires_at.slice(0, 10)}, before its approval`);
  if (row.kind !== 'addon') return;
  const baseId = parseJsonObject(row.details).baseLicenseId;
  if (typeof baseId !== 'string') return;
  const base = await findLicense(baseId);
  if (!base || base.key === '') throw outdated(`Its base license ${baseId} is no longer issued`);
  if (base.expires_at !== null && new Date(base.expires_at).getTime() <= now.getTime())
    throw outdated(`Its base license ${baseId} expired on ${base.expires_at.slice(0, 10)}`);
  // The revocation column (migration 0003) is not part of LicenseRow: the usage store owns it.
  const revokedAt = (base as LicenseRow & { revoked_at?: string | null }).revoked_at;
  if (typeof revokedAt === 'string' && revokedAt !== '')
    throw outdated(`Its base license ${baseId} was revoked on ${revokedAt.slice(0, 10)}`);
}

function outdated(why: string): AppError {
  return new AppError('approval_outdated', `${why}: nothing was signed. Reject it, and ask for a new one if needed.`);
}
