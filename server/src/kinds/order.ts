import { type OrderRequest, orderRequestSchema, orderSuccessTitle } from '@mintdesk/shared';
import { validationError } from '../errors.ts';
import { DAY_MS, dayOf, endOfDay, type KindPolicy } from './kind-policy.ts';

/** How far back an order's start may lie: a late order, not a back-dated one. */
export const MAX_START_DAYS_AGO = 7;

/** The license of a new order: the customer's real details, rented (subscription) or bought (perpetual). */
export const order: KindPolicy<OrderRequest> = {
  kind: 'order',
  label: 'Ordered license',
  trial: false,
  fields: ['userCount', 'licensee', 'term', 'deployment', 'startsAt', 'endsAt', 'orderRef'],
  schema: (settings) => orderRequestSchema(settings.maxUserCount),
  days: () => undefined,
  async terms(request, { now, settings }) {
    const earliest = dayOf(new Date(now.getTime() - MAX_START_DAYS_AGO * DAY_MS));
    if (request.startsAt < earliest)
      throw validationError({
        startsAt: `must not be more than ${MAX_START_DAYS_AGO} days in the past (${earliest} or later)`,
      });
    const endsAt = request.endsAt === undefined ? null : endOfDay(request.endsAt);
    if (endsAt !== null && endsAt.getTime() <= now.getTime())
      throw validationError({ endsAt: 'must not be in the past' });
    return {
      userCount: request.userCount,
      trial: false,
      licensee: { name: request.licensee.name, company: request.licensee.company },
      plan: settings.plan,
      durationDays: null,
      endsAt,
      startsOn: request.startsAt,
      endsOn: request.endsAt ?? null,
      extraClaims: { term: request.term, deployment: request.deployment, orderRef: request.orderRef },
      details: {},
    };
  },
  successTitle: (facts) => orderSuccessTitle(facts.email, facts.userCount, String(facts.claims.orderRef)),
  auditDetail: (facts) => `order ${String(facts.claims.orderRef)}, ${facts.userCount} users for ${facts.email}`,
  wording: {
    name: (facts) =>
      `${facts.claims.term === 'perpetual' ? 'perpetual' : 'subscription'} license for order ${String(facts.claims.orderRef)}`,
    purpose: (facts) =>
      `This is the license of your order ${String(facts.claims.orderRef)}: ${facts.claims.term === 'perpetual' ? 'a perpetual license (bought, with no end date)' : 'a subscription license'} for a ${facts.claims.deployment === 'cloud' ? 'cloud' : 'self-managed'} installation.`,
    lines: (facts) => [
      ['Order', String(facts.claims.orderRef)],
      [
        'Term',
        facts.endsOn === null
          ? `${String(facts.claims.term)}, from ${facts.startsOn ?? ''}`
          : `${String(facts.claims.term)}, ${facts.startsOn ?? ''} to ${facts.endsOn}`,
      ],
      ['Deployment', String(facts.claims.deployment)],
    ],
    ending: (_facts, until) =>
      until === null
        ? ['It has no end date: there is nothing to renew.']
        : [`It ends on ${until}; renew your subscription before then to keep working.`],
  },
};
