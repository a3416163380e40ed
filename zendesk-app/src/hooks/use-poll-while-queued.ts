import { useEffect, useRef } from 'react';
import type { LicenseRecord } from '../policies.ts';

const POLL_INTERVAL_MS = 3000;
const POLL_LIMIT = 100;

/** Follows a queued delivery until the service says sent or failed. */
export function usePollWhileQueued(
  record: LicenseRecord | undefined,
  get: (id: string) => Promise<LicenseRecord>,
  onUpdate: (record: LicenseRecord) => void,
): void {
  const queuedId = record?.delivery.status === 'queued' ? record.license.id : undefined;
  const issueState = record?.issue?.state;
  const update = useRef(onUpdate);
  update.current = onUpdate;
  useEffect(() => {
    if (!queuedId) return;
    let polls = 0;
    let stopped = false;
    const timer = setInterval(async () => {
      polls += 1;
      if (polls > POLL_LIMIT) return clearInterval(timer);
      try {
        const next = await get(queuedId);
        if (!stopped && (next.delivery.status !== 'queued' || next.issue?.state !== issueState)) update.current(next);
      } catch {
        // A passing network error: the next poll tries again.
      }
    }, POLL_INTERVAL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [queuedId, get, issueState]);
}
