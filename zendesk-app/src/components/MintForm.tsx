import { Button } from '@zendeskgarden/react-buttons';
import { Dots } from '@zendeskgarden/react-loaders';
import { Field, Input } from '@zendeskgarden/react-forms';
import type { FormEvent, InputHTMLAttributes } from 'react';
import { useT } from '../i18n.tsx';

export interface FormValues {
  email: string;
  agent: string;
  userCount: string;
}

export type FieldName = keyof FormValues;

export interface MintFormProps {
  values: FormValues;
  errors: Partial<Record<FieldName, string>>;
  sending: boolean;
  onChange: (name: FieldName, value: string) => void;
  onSubmit: () => void;
}

/** The three fields and the one button; the agent normally only types the user count. */
export function MintForm({ values, errors, sending, onChange, onSubmit }: MintFormProps) {
  const t = useT();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!sending) onSubmit();
  };
  const field = (name: FieldName, type: string, extra: InputHTMLAttributes<HTMLInputElement> = {}) => (
    <div className="field">
      <Field>
        <Field.Label>{t(`field.${name}.label`)}</Field.Label>
        <Field.Hint>{t(`field.${name}.hint`)}</Field.Hint>
        <Input
          name={name}
          type={type}
          value={values[name]}
          onChange={(event) => onChange(name, event.target.value)}
          validation={errors[name] ? 'error' : undefined}
          readOnly={sending}
          {...extra}
        />
        {errors[name] ? <Field.Message validation="error">{errors[name]}</Field.Message> : null}
      </Field>
    </div>
  );
  return (
    <form onSubmit={submit} noValidate aria-busy={sending}>
      {field('userCount', 'number', { inputMode: 'numeric', min: 1, step: 1, autoFocus: true })}
      {field('email', 'email', { autoComplete: 'off' })}
      {field('agent', 'text', { autoComplete: 'off' })}
      <Button type="submit" isPrimary isStretched disabled={sending} aria-disabled={sending}>
        {sending ? (
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
