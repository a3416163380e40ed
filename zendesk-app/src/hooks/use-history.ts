import { useCallback, useEffect, useRef, useState } from 'react';
import type { LicenseApi } from '../api.ts';
import type { LicenseRecord } from '../policies.ts';

export interface HistoryState {
  records: LicenseRecord[];
  error?: unknown;
  /** Loads the requester's licenses again; resolves with them, or undefined when the service failed. */
  reload: () => Promise<LicenseRecord[] | undefined>;
}

/** The requester's licenses, newest first: the history list, the add-on's bases and the duplicate guard read it. */
export function useHistory(api: LicenseApi, email: string): HistoryState {
  const [records, setRecords] = useState<LicenseRecord[]>([]);
  const [error, setError] = useState<unknown>();
  // Answers can arrive out of order (a reload right after a mint): only the latest one counts.
  const latest = useRef(0);

  const reload = useCallback(async () => {
    if (!email.includes('@')) {
      setRecords([]);
      return [];
    }
    const call = ++latest.current;
    try {
      const found = await api.listByEmail(email);
      if (call === latest.current) {
        setRecords(found);
        setError(undefined);
      }
      return found;
    } catch (failure) {
      if (call === latest.current) setError(failure);
      return undefined;
    }
  }, [api, email]);

  useEffect(() => {
    void reload();
  }, [reload]);

  return { records, error, reload };
}
