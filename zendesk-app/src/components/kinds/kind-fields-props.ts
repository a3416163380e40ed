import type { FieldErrors, FieldName, FormValues } from '../../form/form-values.ts';
import type { KnownPolicy, LicenseRecord } from '../../policies.ts';

/** What every kind's fieldset gets: the values, their errors, and how to change them. */
export interface KindFieldsProps {
  policy: KnownPolicy;
  values: FormValues;
  errors: FieldErrors;
  readOnly: boolean;
  change: (name: FieldName, value: string) => void;
  /** The requester's licenses (newest first), for the add-on's base. */
  records: readonly LicenseRecord[];
  chooseBase: (id: string, base: LicenseRecord | undefined) => void;
}
