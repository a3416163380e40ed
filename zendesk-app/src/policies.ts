import { KindPolicyInfo, LicenseKind, LicenseRecord, type MintRequest, mintRequestSchemas } from '@mintdesk/shared';
import { z } from 'zod';

// The contract's "License kinds" and "Approval and people" as the sidebar reads them. The schemas
// are the service's own (@mintdesk/shared); what is here is how an app version that may be older
// than the service reads them: a kind or a record it does not know is left out, not fatal.

export { LicenseKind, LicenseRecord };

/** One enabled kind as `GET /api/v1/policies` describes it, of a kind this app has a form for. */
export type KnownPolicy = KindPolicyInfo;

/** Only the elements that parse: a newer service may list kinds (or records) this app cannot show. */
function tolerantArray<T extends z.ZodType>(element: T) {
  return z.array(z.unknown()).transform((items) =>
    items.flatMap((item) => {
      const parsed = element.safeParse(item);
      return parsed.success ? [parsed.data as z.infer<T>] : [];
    }),
  );
}

export const PoliciesAnswer = z.object({ kinds: tolerantArray(KindPolicyInfo) });
export type PoliciesAnswer = z.infer<typeof PoliciesAnswer>;

export const LicenseList = z.object({ licenses: tolerantArray(LicenseRecord) });
export type LicenseList = z.infer<typeof LicenseList>;

export function knownPolicies(answer: PoliciesAnswer): KnownPolicy[] {
  return answer.kinds;
}

/** Waiting for an approver: nothing is signed yet. A rejected license keeps its delivery `held` but is not pending. */
export function isPending(record: LicenseRecord): boolean {
  if (record.approval.status === 'rejected') return false;
  return record.approval.status === 'pending' || record.delivery.status === 'held';
}

export function isRejected(record: LicenseRecord): boolean {
  return record.approval.status === 'rejected';
}

/** A license that exists as a signed key (not waiting for approval, not rejected). */
export function isIssued(record: LicenseRecord): boolean {
  return !isPending(record) && !isRejected(record);
}

const TRIAL_KINDS: readonly LicenseKind[] = ['emergency', 'transition'];

/** Whether an add-on can build on this license: the contract asks for a non-trial license of this service. */
export function canBeAddonBase(record: LicenseRecord): boolean {
  return isIssued(record) && !TRIAL_KINDS.includes(record.license.kind);
}

/** The chosen kind's body schema for the limits the policies state (the service checks again). */
export function mintBodySchema(policy: KnownPolicy) {
  return mintRequestSchemas({ maxUserCount: policy.maxUsers })[policy.kind];
}

/** What the sidebar sends: one kind's body, `kind` always named. */
export type MintBody = MintRequest;
