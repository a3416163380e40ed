import { useEffect, useRef, useState } from 'react';
import { ApiError, type LicenseApi } from '../api.ts';
import { describeError } from '../describe-error.ts';
import type { Translate } from '../i18n.tsx';
import type { KnownPolicy, LicenseRecord, MintBody } from '../policies.ts';
import { type DuplicateQuestion, useDuplicateGuard } from './use-duplicate-guard.ts';
import type { Minting } from './use-mint.ts';
import type { MintForm } from './use-mint-form.ts';

export interface SendLicense {
  /** A check or a mint is under way. */
  busy: boolean;
  /** The form can be neither changed nor sent: busy, or the duplicate question is open. */
  locked: boolean;
  /** Why the last attempt failed, when no field shows it. */
  formError?: string;
  question?: DuplicateQuestion;
  /** **Send license**: check the fields, ask about a recent license, else mint. */
  send: () => void;
  /** **Resend it**: email the recent license again; mints nothing. */
  resendRecent: () => void;
  /** **Issue another**: mint what was asked about. */
  issueAnother: () => void;
  /** Cancel or Escape: nothing is sent. */
  cancel: () => void;
}

/**
 * The way from **Send license** to a license: validate, ask the duplicate guard, mint — each step
 * one at a time — and put refusals beside their fields. `focusSend` gives the focus back to the
 * button when the question closes.
 */
export function useSendLicense(options: {
  api: LicenseApi;
  policy: KnownPolicy | undefined;
  guardDays: number | undefined;
  form: MintForm;
  minting: Minting;
  history: readonly LicenseRecord[];
  t: Translate;
  focusSend: () => void;
}): SendLicense {
  const { api, policy, form, minting, t } = options;
  const guard = useDuplicateGuard(api, options.guardDays, [minting.result, ...options.history]);
  const [formError, setFormError] = useState<string | undefined>();

  const mint = async (body: MintBody) => {
    setFormError(undefined);
    try {
      await minting.mint(body, form.idempotencyKey());
      form.settle();
    } catch (error) {
      const fields = error instanceof ApiError ? error.fields : {};
      const unshown = Object.entries(form.showRefusals(fields));
      if (unshown.length === Object.keys(fields).length) setFormError(describeError(error, t));
      else if (unshown.length > 0) setFormError(unshown.map(([name, why]) => `${name}: ${why}`).join(' · '));
    }
  };

  const send = () =>
    void minting.exclusive(async () => {
      if (!policy) return;
      const body = form.validate(policy);
      if (!body) return;
      const recent = await guard.findRecent(body.email);
      if (recent) guard.ask({ recent, body });
      else await mint(body);
    });

  const returnFocus = useRef(false);
  const close = () => {
    returnFocus.current = true;
    guard.dismiss();
  };
  const busy = minting.busy || guard.checking;
  const locked = busy || guard.question !== undefined;
  const focusSend = useRef(options.focusSend);
  focusSend.current = options.focusSend;
  useEffect(() => {
    if (!returnFocus.current || locked) return;
    returnFocus.current = false;
    focusSend.current();
  }, [locked]);

  const resendRecent = () =>
    void minting.exclusive(async () => {
      const question = guard.question;
      if (!question) return;
      setFormError(undefined);
      try {
        await minting.resend(question.recent.license.id);
      } catch (error) {
        setFormError(describeError(error, t));
      }
      close();
    });

  const issueAnother = () =>
    void minting.exclusive(async () => {
      const question = guard.question;
      if (!question) return;
      close();
      await mint(question.body);
    });

  return { busy, locked, formError, question: guard.question, send, resendRecent, issueAnother, cancel: close };
}
