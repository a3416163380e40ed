import { type AddonRequest, addonRequestSchema, addonSuccessTitle } from '@mintdesk/shared';
import { validationError } from '../errors.ts';
import { parseJsonObject } from './json-columns.ts';
import type { KindPolicy } from './kind-policy.ts';

/**
 * Purchased seats added to an existing paid license. The new license replaces the base one
 * (claim `supersedes`) and keeps everything of it but the user count.
 */
export const addon: KindPolicy<AddonRequest> = {
  kind: 'addon',
  label: 'Add-on seats',
  trial: false,
  fields: ['baseLicenseId', 'addUsers', 'totalUsers'],
  schema: (settings) => addonRequestSchema(settings.maxUserCount),
  days: () => undefined,
  async terms(request, { findLicense, now, settings }) {
    const base = await findLicense(request.baseLicenseId);
    if (!base) throw validationError({ baseLicenseId: `no license has the id ${request.baseLicenseId}` });
    if (base.trial !== 0)
      throw validationError({ baseLicenseId: 'is a trial license; seats are added to paid licenses only' });
    if (base.key === '')
      throw validationError({ baseLicenseId: 'has not been issued (it waits for approval or was rejected)' });
    if (base.expires_at !== null && new Date(base.expires_at).getTime() <= now.getTime())
      throw validationError({ baseLicenseId: `expired on ${base.expires_at.slice(0, 10)}` });
    if (base.email_lower !== request.email.toLowerCase())
      throw validationError({ email: `must be the base license's address, ${base.email}` });
    const expected = base.user_count + request.addUsers;
    if (request.totalUsers !== expected)
      throw validationError({
        totalUsers: `must be ${expected}: the base license's ${base.user_count} users plus ${request.addUsers}`,
      });
    if (expected > settings.maxUserCount)
      throw validationError({ totalUsers: `must be at most ${settings.maxUserCount}` });
    const baseClaims = parseJsonObject(base.extra_claims);
    const { supersedes: _replaced, ...kept } = baseClaims;
    return {
      userCount: request.totalUsers,
      trial: false,
      licensee: {
        name: base.licensee_name ?? settings.licensee.name,
        company: base.licensee_company ?? settings.licensee.company,
      },
      plan: base.plan ?? settings.plan,
      durationDays: null,
      endsAt: base.expires_at === null ? null : new Date(base.expires_at),
      startsOn: base.starts_on,
      endsOn: base.ends_on,
      extraClaims: { ...onlyScalars(kept), supersedes: base.id },
      details: { baseLicenseId: base.id, baseUsers: base.user_count, addUsers: request.addUsers },
    };
  },
  successTitle: (facts) => addonSuccessTitle(facts.email, Number(facts.details.addUsers), facts.userCount),
  auditDetail: (facts) =>
    `add-on of ${String(facts.details.addUsers)} users to ${String(facts.details.baseLicenseId)}, now ${facts.userCount} users for ${facts.email}`,
  wording: {
    name: (facts) => `license with ${facts.userCount} users`,
    purpose: (facts) =>
      `This license adds ${String(facts.details.addUsers)} users to your license ${String(facts.details.baseLicenseId)} (${facts.userCount} users in all) and replaces it: install it instead of the previous one. Licensee, plan, term and end date stay the same.`,
    lines: (facts) => [
      ['Replaces', String(facts.details.baseLicenseId)],
      ['Users added', String(facts.details.addUsers)],
    ],
    ending: (_facts, until) =>
      until === null
        ? ['It has no end date, like the license it replaces.']
        : [`It ends on ${until}, like the license it replaces; renew your subscription before then.`],
  },
};

function onlyScalars(values: Record<string, unknown>): Record<string, string | number> {
  const kept: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(values))
    if (typeof value === 'string' || typeof value === 'number') kept[name] = value;
  return kept;
}
