import { Button } from '@zendeskgarden/react-buttons';
import { useEffect, useId, useRef, type KeyboardEvent } from 'react';
import { utcDate } from '../dates.ts';
import { useT } from '../i18n.tsx';
import type { LicenseRecord } from '../policies.ts';

export interface DuplicateDialogProps {
  recent: LicenseRecord;
  busy: boolean;
  onResend: () => void;
  onIssueAnother: () => void;
  onCancel: () => void;
}

/**
 * Asked before minting when the requester already has a recent license. It sits in the sidebar's
 * flow rather than in a modal overlay: the sidebar is a narrow iframe sized to its content, where
 * an overlay would be clipped. Focus moves into it, Escape cancels, and focus returns to the form.
 */
export function DuplicateDialog({ recent, busy, onResend, onIssueAnother, onCancel }: DuplicateDialogProps) {
  const t = useT();
  const titleId = useId();
  const textId = useId();
  const resendRef = useRef<HTMLButtonElement>(null);
  const focused = useRef(false);
  useEffect(() => {
    // The buttons are disabled while the check that opened the dialog finishes: focus once usable.
    if (busy || focused.current) return;
    focused.current = true;
    resendRef.current?.focus();
  }, [busy]);
  const { license } = recent;
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.stopPropagation();
      onCancel();
    }
  };
  return (
    <div role="dialog" aria-labelledby={titleId} aria-describedby={textId} className="dialog" onKeyDown={onKeyDown}>
      <h2 id={titleId} className="dialog__title">
        {t('duplicate.title')}
      </h2>
      <p id={textId}>
        {t('duplicate.text', {
          id: license.id,
          date: utcDate(license.issuedAt),
          email: license.email,
          users: license.userCount,
        })}
      </p>
      <div className="dialog__buttons">
        <Button ref={resendRef} size="small" isPrimary disabled={busy} onClick={onResend}>
          {t('duplicate.resend')}
        </Button>
        <Button size="small" disabled={busy} onClick={onIssueAnother}>
          {t('duplicate.issueAnother')}
        </Button>
        <Button size="small" isBasic disabled={busy} onClick={onCancel}>
          {t('duplicate.cancel')}
        </Button>
      </div>
    </div>
  );
}
