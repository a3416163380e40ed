import type { LicenseKind } from '@mintdesk/shared';
import type { z } from 'zod';
import type { LicenseRow } from '../store/sql-store.ts';

/** Operator settings a kind may read (never anything from the request). */
export interface KindSettings {
  licenseDays: number;
  transitionDays: number;
  maxUserCount: number;
  plan: string;
  /** The generic licensee of trials (LICENSEE_NAME / LICENSEE_COMPANY). */
  licensee: { name: string; company: string };
}

/** What a kind may consult while deciding a license. */
export interface KindContext {
  now: Date;
  settings: KindSettings;
  findLicense(id: string): Promise<LicenseRow | undefined>;
}

/**
 * What a kind decides about a new license, in terms the mint path, the store and the signer
 * understand without knowing the kind.
 */
export interface LicenseTerms {
  userCount: number;
  trial: boolean;
  licensee: { name: string; company: string };
  plan: string;
  /** The license ends this many days after it is signed… */
  durationDays: number | null;
  /** …or at this fixed instant; neither: no end date. */
  endsAt: Date | null;
  /** `YYYY-MM-DD` of a start and end the customer agreed to (orders), for the record and email. */
  startsOn: string | null;
  endsOn: string | null;
  /** Claims of this kind beyond the common ones. */
  extraClaims: Record<string, string | number>;
  /** Facts recorded with the license (shown in the tracker and the email) but not signed. */
  details: Record<string, string | number>;
}

/**
 * Terms of a trial that runs a number of days from signing with the operator's generic licensee
 * (the emergency and transition kinds differ only in the days and what they record).
 */
export function genericTrialTerms(
  userCount: number,
  settings: KindSettings,
  durationDays: number,
  details: LicenseTerms['details'] = {},
): LicenseTerms {
  return {
    userCount,
    trial: true,
    licensee: settings.licensee,
    plan: settings.plan,
    durationDays,
    endsAt: null,
    startsOn: null,
    endsOn: null,
    extraClaims: {},
    details,
  };
}

/** A stored license as the wording of titles and emails sees it. */
export interface KindFacts {
  id: string;
  email: string;
  userCount: number;
  /** Days from start to end, when the license has a length. */
  days: number | null;
  startsOn: string | null;
  endsOn: string | null;
  claims: Record<string, unknown>;
  details: Record<string, unknown>;
}

/** How the email names and explains a license of this kind. */
export interface KindWording {
  /** `10-day trial license`, `license for order PO-1`… (after "your"/"a"). */
  name(facts: KindFacts): string;
  /** One or two sentences: what this license is for. */
  purpose(facts: KindFacts): string;
  /** Label → value lines shown beside the dates (order reference, term…). */
  lines?(facts: KindFacts): Array<[string, string]>;
  /** What happens when it ends and what to do then. */
  ending(facts: KindFacts, until: string | null): string[];
}

/**
 * Everything that makes a kind of license what it is. One module per kind implements this; the
 * table in `index.ts` lists them. Nothing else in the service branches on a kind.
 */
export interface KindPolicy<Request extends { kind?: LicenseKind | undefined } = { kind?: LicenseKind | undefined }> {
  kind: LicenseKind;
  /** What a person calls it: the sidebar's option and the lookup page's tag. */
  label: string;
  trial: boolean;
  /** The body fields besides the common ones, in the order a form shows them. */
  fields: readonly string[];
  /** The strict body schema for the operator's limits. */
  schema(settings: KindSettings): z.ZodType<Request>;
  /** The fixed length in days, for kinds whose length the operator sets. */
  days(settings: KindSettings): number | undefined;
  /** Checks what a schema cannot (other licenses, the date) and decides the terms; throws `validationError`. */
  terms(request: Request, context: KindContext): Promise<LicenseTerms>;
  successTitle(facts: KindFacts): string;
  /** The "minted" audit entry's detail. */
  auditDetail(facts: KindFacts): string;
  wording: KindWording;
}

export const DAY_MS = 24 * 60 * 60 * 1000;

/** The UTC calendar date of an instant. */
export function dayOf(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The last second of a UTC calendar day: a license "until 2027-11-30" ends at 23:59:59 UTC. */
export function endOfDay(day: string): Date {
  return new Date(`${day}T23:59:59.000Z`);
}
