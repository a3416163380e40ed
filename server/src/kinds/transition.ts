import { type TransitionRequest, transitionRequestSchema, transitionSuccessTitle } from '@mintdesk/shared';
import { genericTrialTerms, type KindPolicy } from './kind-policy.ts';

/**
 * A customer moving from SaaS to a self-managed install: a longer trial (TRANSITION_DAYS), so the
 * data can be restored and checked before the SaaS subscription is cancelled.
 */
export const transition: KindPolicy<TransitionRequest> = {
  kind: 'transition',
  label: 'Transition trial',
  trial: true,
  fields: ['userCount', 'reason'],
  schema: (settings) => transitionRequestSchema(settings.maxUserCount),
  days: (settings) => settings.transitionDays,
  async terms(request, { settings }) {
    return genericTrialTerms(request.userCount, settings, settings.transitionDays, { reason: request.reason });
  },
  successTitle: (facts) => transitionSuccessTitle(facts.email, facts.userCount),
  auditDetail: (facts) => `transition trial, ${facts.userCount} users for ${facts.email}`,
  wording: {
    name: (facts) => (facts.days === null ? 'transition trial license' : `${facts.days}-day transition trial license`),
    purpose: () =>
      'This trial license covers your move from the SaaS service to your own self-managed installation: restore your data and check everything before the SaaS subscription is cancelled.',
    ending: (_facts, until) => [
      'When it ends, it simply stops working; nothing is charged and nothing renews automatically.',
      `Before ${until ?? 'it ends'}, install the license of your self-managed subscription, or reply to your support ticket if you need more time.`,
    ],
  },
};
