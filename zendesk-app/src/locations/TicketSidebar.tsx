import { Alert } from '@zendeskgarden/react-notifications';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { createLicenseApi, type LicenseApi } from '../api.ts';
import { DuplicateDialog } from '../components/DuplicateDialog.tsx';
import { History } from '../components/History.tsx';
import { MintForm } from '../components/MintForm.tsx';
import { MintResult } from '../components/MintResult.tsx';
import { PoliciesError } from '../components/PoliciesError.tsx';
import { useAutoResize } from '../components/use-auto-resize.ts';
import { utcDate } from '../dates.ts';
import { describeError } from '../describe-error.ts';
import { recentLicense } from '../hooks/use-duplicate-guard.ts';
import { useHistory } from '../hooks/use-history.ts';
import { useMint } from '../hooks/use-mint.ts';
import { useMintForm } from '../hooks/use-mint-form.ts';
import { guardDays, usePolicies } from '../hooks/use-policies.ts';
import { useSendLicense } from '../hooks/use-send-license.ts';
import { I18nProvider, useT } from '../i18n.tsx';
import type { KnownPolicy } from '../policies.ts';
import { useClient } from '../zaf/ClientProvider.tsx';
import { type TicketContext, useTicketContext } from './use-ticket-context.ts';

export function TicketSidebar() {
  const client = useClient();
  const { context, error } = useTicketContext(client);
  const rootRef = useRef<HTMLDivElement>(null);
  useAutoResize(client, rootRef);
  return (
    <I18nProvider locale={context?.locale ?? 'en'}>
      <div ref={rootRef} className="sidebar">
        {context ? <SidebarBody context={context} /> : <Loading error={error} />}
      </div>
    </I18nProvider>
  );
}

function Loading({ error }: { error?: string }) {
  const t = useT();
  return <p className="muted">{error ? t('error.unknown', { message: error }) : t('loading')}</p>;
}

/** Waits for the policies: the form offers exactly the kinds and limits the service has. */
function SidebarBody({ context }: { context: TicketContext }) {
  const t = useT();
  const client = useClient();
  const api = useMemo(() => createLicenseApi(client, context.serverUrl), [client, context.serverUrl]);
  const policies = usePolicies(api);
  return (
    <>
      <h1 className="title">{t('title')}</h1>
      {policies.status === 'loading' ? <p className="muted">{t('policies.loading')}</p> : null}
      {policies.status === 'failed' ? (
        <PoliciesError message={describeError(policies.error, t)} onRetry={policies.retry} />
      ) : null}
      {policies.status === 'ready' && policies.policies.length === 0 ? (
        <Alert type="warning" className="block">
          {t('policies.none')}
        </Alert>
      ) : null}
      {policies.status === 'ready' && policies.policies.length > 0 ? (
        <Sidebar api={api} context={context} policies={policies.policies} />
      ) : null}
    </>
  );
}

interface SidebarProps {
  api: LicenseApi;
  context: TicketContext;
  policies: readonly KnownPolicy[];
}

function Sidebar({ api, context, policies }: SidebarProps) {
  const t = useT();
  const defaultKind = policies.find((policy) => policy.kind === 'emergency')?.kind ?? policies[0]?.kind ?? 'emergency';
  const form = useMintForm(context, defaultKind, t);
  const historyEmail = useSettled(form.values.email.trim(), 400);
  const history = useHistory(api, historyEmail.includes('@') ? historyEmail : context.requesterEmail);
  const kindLabel = useCallback(
    (kind: string | undefined) => policies.find((p) => p.kind === (kind ?? 'emergency'))?.label ?? kind ?? '',
    [policies],
  );
  const minting = useMint(api, context.ticketId, kindLabel, t, () => void history.reload());
  const days = guardDays(policies);
  const formRef = useRef<HTMLDivElement>(null);
  const sending = useSendLicense({
    api,
    policy: policies.find((candidate) => candidate.kind === form.kind),
    guardDays: days,
    form,
    minting,
    history: history.records,
    t,
    focusSend: () => formRef.current?.querySelector<HTMLButtonElement>('button[type="submit"]')?.focus(),
  });
  const recent = recentLicense(history.records, days, minting.result?.license.id);

  return (
    <>
      {recent ? (
        <Alert type="warning" className="block">
          {t('warning.recent', {
            email: recent.license.email,
            date: utcDate(recent.license.issuedAt),
            until: recent.license.expiresAt ? utcDate(recent.license.expiresAt) : t('result.noEnd'),
          })}
        </Alert>
      ) : null}
      <div ref={formRef} className="block">
        <MintForm
          policies={policies}
          form={form}
          records={history.records}
          busy={sending.busy}
          locked={sending.locked}
          onSubmit={sending.send}
        />
      </div>
      {sending.question ? (
        <DuplicateDialog
          recent={sending.question.recent}
          busy={minting.busy}
          onResend={sending.resendRecent}
          onIssueAnother={sending.issueAnother}
          onCancel={sending.cancel}
        />
      ) : null}
      {sending.formError ? (
        <Alert type="error" className="block">
          {sending.formError}
        </Alert>
      ) : null}
      <div role="status" aria-live="polite" className="block">
        {minting.result ? (
          <MintResult record={minting.result} note={minting.note} stoppedWaiting={minting.stoppedWaiting} />
        ) : null}
      </div>
      <History
        records={history.records}
        error={history.error === undefined ? undefined : describeError(history.error, t)}
        kindLabel={kindLabel}
        onResend={async (id) => {
          try {
            const record = await api.resend(id);
            void history.reload();
            return t('history.resent', { id, status: t(`result.status.${record.delivery.status}`) });
          } catch (error) {
            return describeError(error, t);
          }
        }}
      />
    </>
  );
}

/** The value once it has stopped changing for `ms`: the history follows the typed email without a call per key. */
function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}
