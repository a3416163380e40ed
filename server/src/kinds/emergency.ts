import { emergencyRequestSchema, type EmergencyRequest, successTitle } from '@mintdesk/shared';
import { genericTrialTerms, type KindPolicy } from './kind-policy.ts';

/** Today's weekend emergency: a short trial with generic licensee details, one field to type. */
export const emergency: KindPolicy<EmergencyRequest> = {
  kind: 'emergency',
  label: 'Emergency trial',
  trial: true,
  fields: ['userCount'],
  schema: (settings) => emergencyRequestSchema(settings.maxUserCount),
  days: (settings) => settings.licenseDays,
  async terms(request, { settings }) {
    return genericTrialTerms(request.userCount, settings, settings.licenseDays);
  },
  successTitle: (facts) => successTitle(facts.email, facts.userCount),
  auditDetail: (facts) => `${facts.userCount} users for ${facts.email}`,
  wording: {
    name: (facts) => (facts.days === null ? 'trial license' : `${facts.days}-day trial license`),
    purpose: () => 'This is a temporary trial license so that you can keep working while your subscription is renewed.',
    ending: (_facts, until) => [
      'When it ends, it simply stops working; nothing is charged and nothing renews automatically.',
      `To keep working after ${until ?? 'it ends'}, renew your subscription or reply to your support ticket.`,
    ],
  },
};
