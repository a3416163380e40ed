import { type LicenseRecord, mintRequestSchema } from '@mintdesk/shared';
import { Alert } from '@zendeskgarden/react-notifications';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiError, createLicenseApi } from '../api.ts';
import { History } from '../components/History.tsx';
import { type FieldName, type FormValues, MintForm } from '../components/MintForm.tsx';
import { MintResult, type NoteState } from '../components/MintResult.tsx';
import { useAutoResize } from '../components/use-auto-resize.ts';
import { issuedWithinDays, utcDate, utcDateTime } from '../dates.ts';
import { I18nProvider, type Translate, useT } from '../i18n.tsx';
import { useClient } from '../zaf/ClientProvider.tsx';
import { type TicketContext, useTicketContext } from './use-ticket-context.ts';

const LICENSE_DAYS = 10;
const MAX_USER_COUNT = 100_000;
const POLL_INTERVAL_MS = 3000;
const POLL_LIMIT = 100;
const MintRequest = mintRequestSchema(MAX_USER_COUNT);

/** Maps the server's field names (and zod's) to the form's. */
const FIELD_OF: Record<string, FieldName> = { email: 'email', agent: 'agent', userCount: 'userCount' };

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

function SidebarBody({ context }: { context: TicketContext }) {
  const t = useT();
  const client = useClient();
  const api = useMemo(() => createLicenseApi(client, context.serverUrl), [client, context.serverUrl]);
  const [values, setValues] = useState<FormValues>({
    email: context.requesterEmail,
    agent: context.agentName,
    userCount: '',
  });
  const [errors, setErrors] = useState<Partial<Record<FieldName, string>>>({});
  const [formError, setFormError] = useState<string | undefined>();
  const [sending, setSending] = useState(false);
  const [result, setResult] = useState<LicenseRecord | undefined>();
  const [note, setNote] = useState<NoteState | undefined>();
  const [history, setHistory] = useState<LicenseRecord[]>([]);
  const [historyError, setHistoryError] = useState<string | undefined>();
  // One key per attempt: a double click or a retry after a lost answer never mints twice.
  const idempotencyKey = useRef(crypto.randomUUID());
  const sendingRef = useRef(false);

  const loadHistory = useCallback(
    async (email: string) => {
      if (!email.includes('@')) return setHistory([]);
      try {
        setHistory(await api.listByEmail(email));
        setHistoryError(undefined);
      } catch (error) {
        setHistoryError(describe(error, t));
      }
    },
    [api, t],
  );

  useEffect(() => {
    void loadHistory(context.requesterEmail);
  }, [context.requesterEmail, loadHistory]);

  usePollWhileQueued(result, api.get, (record) => {
    setResult(record);
    void loadHistory(record.license.email);
  });

  const onChange = (name: FieldName, value: string) => {
    setValues((previous) => ({ ...previous, [name]: value }));
    setErrors((previous) => ({ ...previous, [name]: undefined }));
    idempotencyKey.current = crypto.randomUUID();
  };

  const onSubmit = async () => {
    if (sendingRef.current) return;
    const parsed = MintRequest.safeParse({
      agent: values.agent.trim(),
      email: values.email.trim(),
      userCount: values.userCount.trim() === '' ? undefined : Number(values.userCount),
      ...(context.ticketId ? { ticketId: context.ticketId } : {}),
      ...(context.ticketUrl ? { ticketUrl: context.ticketUrl } : {}),
    });
    if (!parsed.success) {
      const found: Partial<Record<FieldName, string>> = {};
      for (const issue of parsed.error.issues) {
        const name = FIELD_OF[String(issue.path[0])];
        if (name) found[name] ??= clientMessage(name, t);
      }
      setErrors(found);
      return;
    }
    sendingRef.current = true;
    setSending(true);
    setFormError(undefined);
    try {
      const record = await api.mint(parsed.data, idempotencyKey.current);
      idempotencyKey.current = crypto.randomUUID();
      setResult(record);
      setNote(undefined);
      void loadHistory(record.license.email);
      if (context.ticketId) {
        api.addInternalNote(context.ticketId, noteBody(record, t)).then(
          () => setNote({ added: true }),
          (error: unknown) => setNote({ added: false, error: describe(error, t) }),
        );
      }
    } catch (error) {
      const apiError = error instanceof ApiError ? error : undefined;
      const fieldErrors: Partial<Record<FieldName, string>> = {};
      for (const [name, why] of Object.entries(apiError?.fields ?? {})) {
        const field = FIELD_OF[name];
        if (field) fieldErrors[field] = why;
      }
      setErrors(fieldErrors);
      if (Object.keys(fieldErrors).length === 0) setFormError(describe(error, t));
    } finally {
      sendingRef.current = false;
      setSending(false);
    }
  };

  const recent = history.find(
    (record) =>
      record.license.id !== result?.license.id && issuedWithinDays(record.license.issuedAt, LICENSE_DAYS, new Date()),
  );

  return (
    <>
      <h1 className="title">{t('title')}</h1>
      <p className="muted">{t('intro', { days: LICENSE_DAYS })}</p>
      {recent ? (
        <Alert type="warning" className="block">
          {t('warning.recent', {
            email: recent.license.email,
            date: utcDate(recent.license.issuedAt),
            until: utcDate(recent.license.expiresAt),
          })}
        </Alert>
      ) : null}
      <MintForm values={values} errors={errors} sending={sending} onChange={onChange} onSubmit={onSubmit} />
      {formError ? (
        <Alert type="error" className="block">
          {formError}
        </Alert>
      ) : null}
      <div role="status" aria-live="polite" className="block">
        {result ? <MintResult record={result} note={note} /> : null}
      </div>
      <History
        records={history}
        error={historyError}
        onResend={async (id) => {
          try {
            const record = await api.resend(id);
            if (record.license.id === result?.license.id) setResult(record);
            void loadHistory(record.license.email);
            return t('history.resent', { id, status: t(`result.status.${record.delivery.status}`) });
          } catch (error) {
            return describe(error, t);
          }
        }}
      />
    </>
  );
}

/** Follows a queued delivery until the service says sent or failed. */
function usePollWhileQueued(
  record: LicenseRecord | undefined,
  get: (id: string) => Promise<LicenseRecord>,
  onUpdate: (record: LicenseRecord) => void,
) {
  const queuedId = record?.delivery.status === 'queued' ? record.license.id : undefined;
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
        if (!stopped && (next.delivery.status !== 'queued' || next.issue?.state !== record?.issue?.state))
          update.current(next);
      } catch {
        // A passing network error: the next poll tries again.
      }
    }, POLL_INTERVAL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [queuedId, get, record?.issue?.state]);
}

function clientMessage(name: FieldName, t: Translate): string {
  if (name === 'email') return t('error.email');
  if (name === 'userCount') return t('error.userCount', { max: MAX_USER_COUNT });
  return t('error.agent');
}

function describe(error: unknown, t: Translate): string {
  if (error instanceof ApiError) return error.code === 'network_error' ? t('error.network') : error.message;
  return t('error.unknown', { message: error instanceof Error ? error.message : String(error) });
}

function noteBody(record: LicenseRecord, t: Translate): string {
  const { license, delivery, issue } = record;
  return t('note.body', {
    id: license.id,
    users: license.userCount,
    email: license.email,
    agent: license.agent,
    from: utcDateTime(license.issuedAt),
    until: utcDateTime(license.expiresAt),
    status: delivery.status,
    issue: issue ? `${issue.title} (${issue.state})` : '—',
  });
}
