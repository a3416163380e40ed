import { Field, Input, Select, Textarea } from '@zendeskgarden/react-forms';
import type { InputHTMLAttributes, ReactNode } from 'react';

interface FieldProps {
  label: string;
  hint?: string;
  error?: string;
  children: ReactNode;
}

/** A Garden field: label, hint and message are tied to the control (`aria-describedby`, `aria-invalid`). */
function FieldFrame({ label, hint, error, children }: FieldProps) {
  return (
    <div className="field">
      <Field>
        <Field.Label>{label}</Field.Label>
        {hint ? <Field.Hint>{hint}</Field.Hint> : null}
        {children}
        {error ? <Field.Message validation="error">{error}</Field.Message> : null}
      </Field>
    </div>
  );
}

export interface TextFieldProps extends Omit<FieldProps, 'children'> {
  name: string;
  value: string;
  onChange: (value: string) => void;
  readOnly?: boolean;
  type?: string;
  input?: InputHTMLAttributes<HTMLInputElement>;
}

export function TextField({ name, value, onChange, readOnly, type = 'text', input, ...frame }: TextFieldProps) {
  return (
    <FieldFrame {...frame}>
      <Input
        name={name}
        type={type}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        validation={frame.error ? 'error' : undefined}
        aria-invalid={frame.error ? true : undefined}
        readOnly={readOnly}
        {...input}
      />
    </FieldFrame>
  );
}

/** A whole number of users: numeric keyboard, no decimals. */
export function CountField(props: Omit<TextFieldProps, 'type'> & { max?: number }) {
  const { max, input, ...rest } = props;
  return <TextField {...rest} type="number" input={{ inputMode: 'numeric', min: 1, max, step: 1, ...input }} />;
}

export function TextAreaField({ name, value, onChange, readOnly, ...frame }: Omit<TextFieldProps, 'type' | 'input'>) {
  return (
    <FieldFrame {...frame}>
      <Textarea
        name={name}
        value={value}
        minRows={2}
        maxRows={6}
        onChange={(event) => onChange(event.target.value)}
        validation={frame.error ? 'error' : undefined}
        aria-invalid={frame.error ? true : undefined}
        readOnly={readOnly}
      />
    </FieldFrame>
  );
}

export interface SelectFieldProps extends Omit<FieldProps, 'children'> {
  name: string;
  value: string;
  options: readonly { value: string; label: string }[];
  onChange: (value: string) => void;
  disabled?: boolean;
}

/** A native select in Garden's dress: keyboard and screen readers work as they do everywhere. */
export function SelectField({ name, value, options, onChange, disabled, ...frame }: SelectFieldProps) {
  return (
    <FieldFrame {...frame}>
      <Select
        name={name}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        validation={frame.error ? 'error' : undefined}
        aria-invalid={frame.error ? true : undefined}
        disabled={disabled}
      >
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </Select>
    </FieldFrame>
  );
}
