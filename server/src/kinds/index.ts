import type { KindPolicyInfo, LicenseKind } from '@mintdesk/shared';
import { addon } from './addon.ts';
import { emergency } from './emergency.ts';
import type { KindPolicy, KindSettings } from './kind-policy.ts';
import { order } from './order.ts';
import { transition } from './transition.ts';

/**
 * The kinds of license, each a policy of its own. Adding a kind means one module here and its
 * body schema in `shared/` (the sidebar validates with it too); the mint path, the queue, the
 * tracker and the pages ask this table and never branch on a kind.
 */
export const KIND_POLICIES: Readonly<Record<LicenseKind, KindPolicy>> = {
  emergency: general(emergency),
  transition: general(transition),
  addon: general(addon),
  order: general(order),
};

/**
 * The table holds every policy under one type; the route has already parsed each body with its
 * own kind's schema, so each policy only ever receives its own request shape.
 */
function general<Request extends { kind?: LicenseKind | undefined }>(policy: KindPolicy<Request>): KindPolicy {
  return policy as unknown as KindPolicy;
}

/** A kind's policy; a stored kind this version does not know reads as an emergency trial. */
export function kindPolicy(kind: string): KindPolicy {
  return Object.hasOwn(KIND_POLICIES, kind) ? KIND_POLICIES[kind as LicenseKind] : KIND_POLICIES.emergency;
}

/** What `GET /api/v1/policies` says about the enabled kinds. */
export function describeKinds(
  enabled: readonly LicenseKind[],
  approval: readonly LicenseKind[],
  settings: KindSettings,
): KindPolicyInfo[] {
  return enabled.map((kind) => {
    const policy = kindPolicy(kind);
    const days = policy.days(settings);
    return {
      kind,
      label: policy.label,
      fields: [...policy.fields],
      ...(days !== undefined ? { days } : {}),
      maxUsers: settings.maxUserCount,
      approval: approval.includes(kind),
      trial: policy.trial,
    };
  });
}

export type { KindContext, KindFacts, KindPolicy, KindSettings, LicenseTerms } from './kind-policy.ts';
