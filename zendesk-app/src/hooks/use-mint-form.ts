import { useCallback, useRef, useState } from 'react';
import {
  type FieldErrors,
  type FieldName,
  type FormValues,
  fieldOf,
  initialValues,
  validateBody,
} from '../form/form-values.ts';
import type { Translate } from '../i18n.tsx';
import type { TicketContext } from '../locations/use-ticket-context.ts';
import type { KnownPolicy, LicenseKind, LicenseRecord, MintBody } from '../policies.ts';

export interface MintForm {
  kind: LicenseKind;
  values: FormValues;
  errors: FieldErrors;
  selectKind: (kind: LicenseKind) => void;
  change: (name: FieldName, value: string) => void;
  /** Chooses the add-on's base license and prefills the total (still editable: the service checks it). */
  chooseBase: (id: string, base: LicenseRecord | undefined) => void;
  /** The chosen kind's request body, or undefined after marking the fields that are wrong. */
  validate: (policy: KnownPolicy) => MintBody | undefined;
  /** Puts the service's refusals beside their fields; returns those no field shows. */
  showRefusals: (fields: Record<string, string>) => Record<string, string>;
  /** The `Idempotency-Key` of the current attempt: the same until the form changes or a mint succeeds. */
  idempotencyKey: () => string;
  /** After a mint: the next attempt is a new license. */
  settle: () => void;
}

/** What the agent typed and chose, with the field errors; knows nothing about the network. */
export function useMintForm(context: TicketContext, defaultKind: LicenseKind, t: Translate): MintForm {
  const [kind, setKind] = useState<LicenseKind>(defaultKind);
  const [values, setValues] = useState<FormValues>(() => initialValues(context, new Date()));
  const [errors, setErrors] = useState<FieldErrors>({});
  const baseUsers = useRef<number | undefined>(undefined);
  // One key per attempt: a double click or a retry after a lost answer never mints twice.
  const key = useRef(crypto.randomUUID());
  const fresh = () => {
    key.current = crypto.randomUUID();
  };

  const selectKind = useCallback((next: LicenseKind) => {
    setKind(next);
    setErrors({});
    fresh();
  }, []);

  const change = useCallback((name: FieldName, value: string) => {
    setValues((previous) => {
      const next = { ...previous, [name]: value };
      if (name === 'addUsers') next.totalUsers = prefilledTotal(baseUsers.current, value) ?? previous.totalUsers;
      return next;
    });
    setErrors((previous) => ({
      ...previous,
      [name]: undefined,
      ...(name === 'addUsers' ? { totalUsers: undefined } : {}),
    }));
    fresh();
  }, []);

  const chooseBase = useCallback((id: string, base: LicenseRecord | undefined) => {
    baseUsers.current = base?.license.userCount;
    setValues((previous) => ({
      ...previous,
      baseLicenseId: id,
      totalUsers: prefilledTotal(base?.license.userCount, previous.addUsers) ?? previous.totalUsers,
    }));
    setErrors((previous) => ({ ...previous, baseLicenseId: undefined, totalUsers: undefined }));
    fresh();
  }, []);

  const validate = (policy: KnownPolicy) => {
    const checked = validateBody(policy, values, context, t);
    setErrors(checked.errors ?? {});
    return checked.body;
  };

  const showRefusals = useCallback((fields: Record<string, string>) => {
    const shown: FieldErrors = {};
    const rest: Record<string, string> = {};
    for (const [path, why] of Object.entries(fields)) {
      const field = fieldOf(path);
      if (field) shown[field] = why;
      else rest[path] = why;
    }
    setErrors(shown);
    return rest;
  }, []);

  return {
    kind,
    values,
    errors,
    selectKind,
    change,
    chooseBase,
    validate,
    showRefusals,
    idempotencyKey: () => key.current,
    settle: fresh,
  };
}

/** Base users + users to add, when both are known; the agent may still overwrite it. */
function prefilledTotal(base: number | undefined, add: string): string | undefined {
  const adding = Number(add);
  if (base === undefined || add.trim() === '' || !Number.isInteger(adding)) return undefined;
  return String(base + adding);
}
