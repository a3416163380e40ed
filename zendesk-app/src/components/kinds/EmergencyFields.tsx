import { useT } from '../../i18n.tsx';
import { CountField } from '../fields.tsx';
import type { KindFieldsProps } from './kind-fields-props.ts';

/** The weekend emergency: one typed field, the user count. */
export function EmergencyFields({ policy, values, errors, readOnly, change }: KindFieldsProps) {
  const t = useT();
  return (
    <CountField
      name="userCount"
      label={t('field.userCount.label')}
      hint={t('field.userCount.hint')}
      value={values.userCount}
      error={errors.userCount}
      readOnly={readOnly}
      max={policy.maxUsers}
      onChange={(value) => change('userCount', value)}
      input={{ autoFocus: true }}
    />
  );
}
