import { useT } from '../../i18n.tsx';
import { CountField, TextAreaField } from '../fields.tsx';
import type { KindFieldsProps } from './kind-fields-props.ts';

/** A longer trial while a customer moves from SaaS to a self-managed install. */
export function TransitionFields({ policy, values, errors, readOnly, change }: KindFieldsProps) {
  const t = useT();
  return (
    <>
      <CountField
        name="userCount"
        label={t('field.userCount.label')}
        hint={t('field.userCount.hint')}
        value={values.userCount}
        error={errors.userCount}
        readOnly={readOnly}
        max={policy.maxUsers}
        onChange={(value) => change('userCount', value)}
      />
      <TextAreaField
        name="reason"
        label={t('field.reason.label')}
        hint={t('field.reason.hint')}
        value={values.reason}
        error={errors.reason}
        readOnly={readOnly}
        onChange={(value) => change('reason', value)}
      />
    </>
  );
}
