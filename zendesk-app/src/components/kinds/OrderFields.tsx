import { useT } from '../../i18n.tsx';
import { CountField, SelectField, TextField } from '../fields.tsx';
import type { KindFieldsProps } from './kind-fields-props.ts';

/** The license of a new order: the real customer, rent or purchase, self-managed or cloud. */
export function OrderFields({ policy, values, errors, readOnly, change }: KindFieldsProps) {
  const t = useT();
  return (
    <>
      <TextField
        name="licenseeName"
        label={t('field.licenseeName.label')}
        value={values.licenseeName}
        error={errors.licenseeName}
        readOnly={readOnly}
        onChange={(value) => change('licenseeName', value)}
        input={{ autoComplete: 'off' }}
      />
      <TextField
        name="licenseeCompany"
        label={t('field.licenseeCompany.label')}
        value={values.licenseeCompany}
        error={errors.licenseeCompany}
        readOnly={readOnly}
        onChange={(value) => change('licenseeCompany', value)}
        input={{ autoComplete: 'off' }}
      />
      <CountField
        name="userCount"
        label={t('field.userCount.label')}
        value={values.userCount}
        error={errors.userCount}
        readOnly={readOnly}
        max={policy.maxUsers}
        onChange={(value) => change('userCount', value)}
      />
      <SelectField
        name="term"
        label={t('field.term.label')}
        value={values.term}
        error={errors.term}
        disabled={readOnly}
        options={[
          { value: 'subscription', label: t('field.term.subscription') },
          { value: 'perpetual', label: t('field.term.perpetual') },
        ]}
        onChange={(value) => change('term', value)}
      />
      <SelectField
        name="deployment"
        label={t('field.deployment.label')}
        value={values.deployment}
        error={errors.deployment}
        disabled={readOnly}
        options={[
          { value: 'self-managed', label: t('field.deployment.selfManaged') },
          { value: 'cloud', label: t('field.deployment.cloud') },
        ]}
        onChange={(value) => change('deployment', value)}
      />
      <TextField
        name="startsAt"
        type="date"
        label={t('field.startsAt.label')}
        hint={t('field.startsAt.hint')}
        value={values.startsAt}
        error={errors.startsAt}
        readOnly={readOnly}
        onChange={(value) => change('startsAt', value)}
      />
      {values.term === 'subscription' ? (
        <TextField
          name="endsAt"
          type="date"
          label={t('field.endsAt.label')}
          hint={t('field.endsAt.hint')}
          value={values.endsAt}
          error={errors.endsAt}
          readOnly={readOnly}
          onChange={(value) => change('endsAt', value)}
        />
      ) : null}
      <TextField
        name="orderRef"
        label={t('field.orderRef.label')}
        value={values.orderRef}
        error={errors.orderRef}
        readOnly={readOnly}
        onChange={(value) => change('orderRef', value)}
        input={{ autoComplete: 'off' }}
      />
    </>
  );
}
