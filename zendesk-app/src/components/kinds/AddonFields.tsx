import { canBeAddonBase } from '../../policies.ts';
import { utcDate } from '../../dates.ts';
import { useT } from '../../i18n.tsx';
import { CountField, SelectField } from '../fields.tsx';
import type { KindFieldsProps } from './kind-fields-props.ts';

/** Purchased seats on an existing license: the total must agree with base + added (the service checks). */
export function AddonFields({ policy, values, errors, readOnly, change, records, chooseBase }: KindFieldsProps) {
  const t = useT();
  const bases = records.filter(canBeAddonBase);
  const chosen = bases.find((record) => record.license.id === values.baseLicenseId)?.license;
  const options = [
    { value: '', label: bases.length > 0 ? t('field.baseLicenseId.choose') : t('field.baseLicenseId.none') },
    ...bases.map(({ license }) => ({
      value: license.id,
      label: t('field.baseLicenseId.option', {
        id: license.id,
        users: license.userCount,
        until: license.expiresAt ? utcDate(license.expiresAt) : t('result.noEnd'),
      }),
    })),
  ];
  return (
    <>
      <SelectField
        name="baseLicenseId"
        label={t('field.baseLicenseId.label')}
        hint={
          chosen
            ? t('field.baseLicenseId.chosen', {
                users: chosen.userCount,
                until: chosen.expiresAt ? utcDate(chosen.expiresAt) : t('result.noEnd'),
              })
            : t('field.baseLicenseId.hint')
        }
        value={values.baseLicenseId}
        error={errors.baseLicenseId}
        options={options}
        disabled={readOnly}
        onChange={(id) =>
          chooseBase(
            id,
            bases.find((record) => record.license.id === id),
          )
        }
      />
      <CountField
        name="addUsers"
        label={t('field.addUsers.label')}
        value={values.addUsers}
        error={errors.addUsers}
        readOnly={readOnly}
        max={policy.maxUsers}
        onChange={(value) => change('addUsers', value)}
      />
      <CountField
        name="totalUsers"
        label={t('field.totalUsers.label')}
        hint={t('field.totalUsers.hint')}
        value={values.totalUsers}
        error={errors.totalUsers}
        readOnly={readOnly}
        onChange={(value) => change('totalUsers', value)}
      />
    </>
  );
}
