import { useCallback, useEffect, useState } from 'react';
import type { LicenseApi } from '../api.ts';
import { type KnownPolicy, knownPolicies } from '../policies.ts';

export type PoliciesState =
  { status: 'loading' } | { status: 'ready'; policies: KnownPolicy[] } | { status: 'failed'; error: unknown };

/**
 * The enabled kinds, their durations, limits and approval, from `GET /api/v1/policies`. Without
 * them the form cannot know what it may offer, so a failure is shown (with a retry) instead of a
 * form guessed from defaults.
 */
export function usePolicies(api: LicenseApi): PoliciesState & { retry: () => void } {
  const [state, setState] = useState<PoliciesState>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let current = true;
    setState({ status: 'loading' });
    api.policies().then(
      (answer) => current && setState({ status: 'ready', policies: knownPolicies(answer) }),
      (error: unknown) => current && setState({ status: 'failed', error }),
    );
    return () => {
      current = false;
    };
  }, [api, attempt]);
  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  return { ...state, retry };
}

/**
 * The `LICENSE_DAYS` of the duplicate guard: the emergency kind's duration, or the shortest trial
 * the service offers when the operator disabled emergency licenses.
 */
export function guardDays(policies: readonly KnownPolicy[]): number | undefined {
  const emergency = policies.find((policy) => policy.kind === 'emergency')?.days;
  if (emergency !== undefined) return emergency;
  const days = policies.flatMap((policy) => (policy.days === undefined ? [] : [policy.days]));
  return days.length > 0 ? Math.min(...days) : undefined;
}
