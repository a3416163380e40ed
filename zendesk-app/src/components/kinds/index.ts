import type { ComponentType } from 'react';
import type { LicenseKind } from '../../policies.ts';
import { AddonFields } from './AddonFields.tsx';
import { EmergencyFields } from './EmergencyFields.tsx';
import type { KindFieldsProps } from './kind-fields-props.ts';
import { OrderFields } from './OrderFields.tsx';
import { TransitionFields } from './TransitionFields.tsx';

/** Kind → its fieldset. A fifth kind adds a row here, its body in form-values.ts, and its translations. */
export const KIND_FIELDSETS: Record<LicenseKind, ComponentType<KindFieldsProps>> = {
  emergency: EmergencyFields,
  transition: TransitionFields,
  addon: AddonFields,
  order: OrderFields,
};

export type { KindFieldsProps };
