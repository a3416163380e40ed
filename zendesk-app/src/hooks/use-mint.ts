import { useCallback, useRef, useState } from 'react';
import type { LicenseApi } from '../api.ts';
import type { NoteState } from '../components/MintResult.tsx';
import { describeError } from '../describe-error.ts';
import type { Translate } from '../i18n.tsx';
import { noteBody } from '../note-body.ts';
import type { LicenseRecord, MintBody } from '../policies.ts';
import { usePollWhilePending } from './use-poll-while-pending.ts';
import { usePollWhileQueued } from './use-poll-while-queued.ts';

export interface Minting {
  busy: boolean;
  /** The license last minted or resent: what the status region shows. */
  result?: LicenseRecord;
  note?: NoteState;
  /** The result still waits for approval and the app has stopped asking about it. */
  stoppedWaiting: boolean;
  /** Mints; resolves with the record, or rejects with the service's ApiError (nothing shown yet). */
  mint: (body: MintBody, idempotencyKey: string) => Promise<LicenseRecord>;
  /** Emails an existing license again and shows it in the status region; mints nothing. */
  resend: (id: string) => Promise<LicenseRecord>;
  /** Runs one step of sending (the duplicate check, the mint) with the button disabled, one at a time. */
  exclusive: (step: () => Promise<void>) => Promise<void>;
}

/** The calls that create or resend a license, and the status they leave behind. */
export function useMint(
  api: LicenseApi,
  ticketId: number | undefined,
  kindLabel: (kind: string | undefined) => string,
  t: Translate,
  onChanged: (record: LicenseRecord) => void,
): Minting {
  const [busy, setBusy] = useState(false);
  const running = useRef(false);
  const [result, setResult] = useState<LicenseRecord | undefined>();
  const [note, setNote] = useState<NoteState | undefined>();
  const changed = useRef(onChanged);
  changed.current = onChanged;

  const follow = useCallback((record: LicenseRecord) => {
    setResult(record);
    changed.current(record);
  }, []);
  usePollWhileQueued(result, api.get, follow);
  const pending = usePollWhilePending(result, api.get, follow);

  const exclusive = useCallback(async (step: () => Promise<void>) => {
    if (running.current) return;
    running.current = true;
    setBusy(true);
    try {
      await step();
    } finally {
      running.current = false;
      setBusy(false);
    }
  }, []);

  const mint = useCallback(
    async (body: MintBody, idempotencyKey: string) => {
      const record = await api.mint(body, idempotencyKey);
      setResult(record);
      setNote(undefined);
      changed.current(record);
      if (ticketId) {
        api.addInternalNote(ticketId, noteBody(record, kindLabel(record.license.kind ?? body.kind), t)).then(
          () => setNote({ added: true }),
          (error: unknown) => setNote({ added: false, error: describeError(error, t) }),
        );
      }
      return record;
    },
    [api, ticketId, kindLabel, t],
  );

  const resend = useCallback(
    async (id: string) => {
      const record = await api.resend(id);
      setResult(record);
      setNote(undefined);
      changed.current(record);
      return record;
    },
    [api],
  );

  return { busy, result, note, stoppedWaiting: pending.gaveUp, mint, resend, exclusive };
}
