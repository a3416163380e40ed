import { useEffect, useRef, useState } from 'react';
import { isPending, type LicenseRecord } from '../policies.ts';

/** The first look after the mint, then each wait grows by half, up to this. */
export const PENDING_FIRST_POLL_MS = 5_000;
export const PENDING_MAX_POLL_MS = 60_000;
/** An approver usually decides within minutes; after this the app stops asking (a reload looks again). */
export const PENDING_GIVE_UP_MS = 10 * 60_000;

/**
 * Follows a license waiting for approval until an approver decides (approved: the record now has
 * its key and delivery; rejected: the reason), asking less often as time goes by and giving up
 * after {@link PENDING_GIVE_UP_MS}. Answers whether it gave up on the record shown.
 */
export function usePollWhilePending(
  record: LicenseRecord | undefined,
  get: (id: string) => Promise<LicenseRecord>,
  onUpdate: (record: LicenseRecord) => void,
): { gaveUp: boolean } {
  const pendingId = record && isPending(record) ? record.license.id : undefined;
  const update = useRef(onUpdate);
  update.current = onUpdate;
  const [gaveUpOn, setGaveUpOn] = useState<string | undefined>();
  useEffect(() => {
    if (!pendingId) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let waited = 0;
    const poll = (delay: number) => {
      if (waited + delay > PENDING_GIVE_UP_MS) {
        setGaveUpOn(pendingId);
        return;
      }
      timer = setTimeout(async () => {
        waited += delay;
        try {
          const next = await get(pendingId);
          if (stopped) return;
          if (!isPending(next)) return update.current(next);
        } catch {
          // A passing network error: the next poll tries again.
        }
        if (!stopped) poll(Math.min(Math.round(delay * 1.5), PENDING_MAX_POLL_MS));
      }, delay);
    };
    poll(PENDING_FIRST_POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [pendingId, get]);
  return { gaveUp: pendingId !== undefined && gaveUpOn === pendingId };
}
