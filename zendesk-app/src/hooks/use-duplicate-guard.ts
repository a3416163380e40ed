import { useCallback, useRef, useState } from 'react';
import type { LicenseApi } from '../api.ts';
import { issuedWithinDays } from '../dates.ts';
import { isIssued, type LicenseRecord, type MintBody } from '../policies.ts';

/** The question the guard asks before minting: this requester already has a recent license. */
export interface DuplicateQuestion {
  recent: LicenseRecord;
  body: MintBody;
}

export interface DuplicateGuard {
  question?: DuplicateQuestion;
  checking: boolean;
  /**
   * Resolves with the requester's newest license issued within `days` days, if any. Asks the
   * service afresh, and also counts what this sidebar already knows (the license just minted,
   * the history), so neither a slow list nor a lost answer lets a second click mint unasked.
   */
  findRecent: (email: string) => Promise<LicenseRecord | undefined>;
  ask: (question: DuplicateQuestion) => void;
  dismiss: () => void;
}

/** The requester's newest issued license of the last `days` days, other than `exceptId`. */
export function recentLicense(
  records: readonly (LicenseRecord | undefined)[],
  days: number | undefined,
  exceptId?: string,
): LicenseRecord | undefined {
  if (days === undefined) return undefined;
  const now = new Date();
  return records
    .filter(
      (record): record is LicenseRecord =>
        record !== undefined &&
        record.license.id !== exceptId &&
        isIssued(record) &&
        issuedWithinDays(record.license.issuedAt, days, now),
    )
    .sort((a, b) => Date.parse(b.license.issuedAt) - Date.parse(a.license.issuedAt))[0];
}

export function useDuplicateGuard(
  api: LicenseApi,
  days: number | undefined,
  known: readonly (LicenseRecord | undefined)[],
): DuplicateGuard {
  const [question, setQuestion] = useState<DuplicateQuestion | undefined>();
  const [checking, setChecking] = useState(false);
  const knownRef = useRef(known);
  knownRef.current = known;

  const findRecent = useCallback(
    async (email: string) => {
      if (days === undefined) return undefined;
      setChecking(true);
      try {
        // A failed list must not block an emergency mint: what the sidebar knows still counts.
        const fresh = await api.listByEmail(email).catch(() => [] as LicenseRecord[]);
        const sameRequester = [...fresh, ...knownRef.current].filter(
          (record) => record?.license.email.toLowerCase() === email.toLowerCase(),
        );
        return recentLicense(sameRequester, days);
      } finally {
        setChecking(false);
      }
    },
    [api, days],
  );

  const ask = useCallback((next: DuplicateQuestion) => setQuestion(next), []);
  const dismiss = useCallback(() => setQuestion(undefined), []);
  return { question, checking, findRecent, ask, dismiss };
}
