import type { Translate } from '../i18n.tsx';
import type { TicketContext } from '../locations/use-ticket-context.ts';
import { type KnownPolicy, type LicenseKind, type MintBody, mintBodySchema } from '../policies.ts';

/**
 * Everything the form holds, as typed (strings), for every kind at once: switching kinds keeps
 * what was typed, and only the chosen kind's fields are sent.
 */
export interface FormValues {
  agent: string;
  email: string;
  userCount: string;
  reason: string;
  baseLicenseId: string;
  addUsers: string;
  totalUsers: string;
  licenseeName: string;
  licenseeCompany: string;
  term: 'subscription' | 'perpetual';
  deployment: 'self-managed' | 'cloud';
  startsAt: string;
  endsAt: string;
  orderRef: string;
}

export type FieldName = keyof FormValues;
export type FieldErrors = Partial<Record<FieldName | 'kind', string>>;

export function initialValues(context: TicketContext, today: Date): FormValues {
  return {
    agent: context.agentName,
    email: context.requesterEmail,
    userCount: '',
    reason: '',
    baseLicenseId: '',
    addUsers: '',
    totalUsers: '',
    licenseeName: '',
    licenseeCompany: '',
    term: 'subscription',
    deployment: 'self-managed',
    startsAt: today.toISOString().slice(0, 10),
    endsAt: '',
    orderRef: '',
  };
}

/** The form fields each kind sends besides the common agent and email, in the order they are shown. */
export const KIND_FIELDS: Record<LicenseKind, readonly FieldName[]> = {
  emergency: ['userCount'],
  transition: ['userCount', 'reason'],
  addon: ['baseLicenseId', 'addUsers', 'totalUsers'],
  order: ['licenseeName', 'licenseeCompany', 'userCount', 'term', 'deployment', 'startsAt', 'endsAt', 'orderRef'],
};

const number = (value: string): number | undefined => (value.trim() === '' ? undefined : Number(value));
const text = (value: string): string | undefined => (value.trim() === '' ? undefined : value.trim());

/** The request body of the chosen kind: its own fields only, since the service refuses unknown ones. */
export function draftBody(policy: KnownPolicy, values: FormValues, context: TicketContext): Record<string, unknown> {
  const common = {
    kind: policy.kind,
    agent: values.agent.trim(),
    email: values.email.trim(),
    ...(context.ticketId ? { ticketId: context.ticketId } : {}),
    ...(context.ticketUrl ? { ticketUrl: context.ticketUrl } : {}),
  };
  switch (policy.kind) {
    case 'emergency':
      return { ...common, userCount: number(values.userCount) };
    case 'transition':
      return { ...common, userCount: number(values.userCount), reason: text(values.reason) };
    case 'addon':
      return {
        ...common,
        baseLicenseId: text(values.baseLicenseId),
        addUsers: number(values.addUsers),
        totalUsers: number(values.totalUsers),
      };
    case 'order':
      return {
        ...common,
        userCount: number(values.userCount),
        licensee: { name: text(values.licenseeName), company: text(values.licenseeCompany) },
        term: values.term,
        deployment: values.deployment,
        startsAt: text(values.startsAt),
        ...(values.term === 'subscription' ? { endsAt: text(values.endsAt) } : {}),
        orderRef: text(values.orderRef),
      };
  }
}

/** Checks the draft the way the service will; the service still has the last word. */
export function validateBody(
  policy: KnownPolicy,
  values: FormValues,
  context: TicketContext,
  t: Translate,
): { body: MintBody; errors?: undefined } | { body?: undefined; errors: FieldErrors } {
  const parsed = mintBodySchema(policy).safeParse(draftBody(policy, values, context));
  if (parsed.success) return { body: parsed.data };
  const errors: FieldErrors = {};
  for (const issue of parsed.error.issues) {
    const field = fieldOf(issue.path.map(String).join('.'));
    if (field && field !== 'kind') errors[field] ??= clientMessage(field, policy, t);
  }
  return { errors };
}

/** Maps a body path as the service names it (`licensee.name`, `userCount`…) to the form field showing it. */
export function fieldOf(path: string): FieldName | 'kind' | undefined {
  if (path === 'licensee' || path === 'licensee.name') return 'licenseeName';
  if (path === 'licensee.company') return 'licenseeCompany';
  const known: readonly string[] = ['kind', ...Object.values(KIND_FIELDS).flat(), 'agent', 'email'];
  return known.includes(path) ? (path as FieldName | 'kind') : undefined;
}

function clientMessage(field: FieldName, policy: KnownPolicy, t: Translate): string {
  switch (field) {
    case 'email':
      return t('error.email');
    case 'agent':
      return t('error.agent');
    case 'userCount':
    case 'addUsers':
      return t('error.userCount', { max: policy.maxUsers });
    case 'totalUsers':
      return t('error.totalUsers');
    case 'baseLicenseId':
      return t('error.baseLicense');
    case 'startsAt':
    case 'endsAt':
      return t('error.date');
    case 'reason':
      return t('error.text', { max: 500 });
    case 'licenseeName':
    case 'licenseeCompany':
      return t('error.text', { max: 200 });
    case 'orderRef':
      return t('error.orderRef');
    default:
      return t('error.required');
  }
}
