import { Button } from '@zendeskgarden/react-buttons';
import { Dots } from '@zendeskgarden/react-loaders';
import type { FormEvent } from 'react';
import type { MintForm as FormState } from '../hooks/use-mint-form.ts';
import { type Translate, useT } from '../i18n.tsx';
import type { KnownPolicy, LicenseKind, LicenseRecord } from '../policies.ts';
import { SelectField, TextField } from './fields.tsx';
import { KIND_FIELDSETS } from './kinds/index.ts';

export interface MintFormProps {
  policies: readonly KnownPolicy[];
  form: FormState;
  records: readonly LicenseRecord[];
  /** A check or a mint is under way: the button says so. */
  busy: boolean;
  /** Nothing can be changed or sent (busy, or the duplicate question is open). */
  locked: boolean;
  onSubmit: () => void;
}

/** The kind, its fields, the requester and agent, and the one button. */
export function MintForm({ policies, form, records, busy, locked, onSubmit }: MintFormProps) {
  const t = useT();
  const policy = policies.find((candidate) => candidate.kind === form.kind);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!locked) onSubmit();
  };
  if (!policy) return null;
  const Fields = KIND_FIELDSETS[policy.kind];
  return (
    <form onSubmit={submit} noValidate aria-busy={busy}>
      <SelectField
        name="kind"
        label={t('field.kind.label')}
        value={form.kind}
        error={form.errors.kind}
        disabled={locked}
        options={policies.map((candidate) => ({ value: candidate.kind, label: candidate.label }))}
        onChange={(kind) => form.selectKind(kind as LicenseKind)}
      />
      <p className="muted intro">{intro(policy, t)}</p>
      <Fields
        policy={policy}
        values={form.values}
        errors={form.errors}
        readOnly={locked}
        change={form.change}
        records={records}
        chooseBase={form.chooseBase}
      />
      <TextField
        name="email"
        type="email"
        label={t('field.email.label')}
        hint={t('field.email.hint')}
        value={form.values.email}
        error={form.errors.email}
        readOnly={locked}
        onChange={(value) => form.change('email', value)}
        input={{ autoComplete: 'off' }}
      />
      <TextField
        name="agent"
        label={t('field.agent.label')}
        hint={t('field.agent.hint')}
        value={form.values.agent}
        error={form.errors.agent}
        readOnly={locked}
        onChange={(value) => form.change('agent', value)}
        input={{ autoComplete: 'off' }}
      />
      <Button type="submit" isPrimary isStretched disabled={locked} aria-disabled={locked}>
        {busy ? (
          <>
            <Dots size={16} aria-hidden /> <span style={{ marginLeft: 8 }}>{t('sending')}</span>
          </>
        ) : (
          t('send')
        )}
      </Button>
    </form>
  );
}

function intro(policy: KnownPolicy, t: Translate): string {
  const what =
    policy.kind === 'addon'
      ? t('intro.addon')
      : policy.kind === 'order'
        ? t('intro.order')
        : t('intro.trial', { days: policy.days ?? '' });
  return policy.approval ? `${what} ${t('intro.approval')}` : what;
}
