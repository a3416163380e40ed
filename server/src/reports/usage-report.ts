import { stringify } from 'csv-stringify/sync';
import { validationError } from '../errors.ts';
import type { OrganisationTotals, UsageStore } from '../store/usage-store.ts';

/** The CSV header, exactly as the contract fixes it. */
export const CSV_COLUMNS = [
  'organisation',
  'purchased',
  'trial_users',
  'used_peak',
  'available',
  'overconsumed',
  'active_licenses',
  'last_report',
] as const;

/** One organisation in the report (JSON field names; the CSV uses `CSV_COLUMNS`). */
export interface UsageReportRow {
  organisation: string;
  /** Users of active, non-trial, non-revoked licenses. */
  purchased: number;
  /** Users of active, non-revoked trial licenses. */
  trialUsers: number;
  /** The organisation's highest one-day total of reported active users in the period. */
  usedPeak: number;
  /** purchased − usedPeak; negative when overconsumed. */
  available: number;
  overconsumed: boolean;
  activeLicenses: number;
  /** The last check-in in the period (ISO 8601), or null when none came. */
  lastReport: string | null;
}

export interface Period {
  from: string;
  to: string;
}

export interface UsageReportResult extends Period {
  /** Licenses valid at this instant are the active ones: the period's end, or now if sooner. */
  activeAt: string;
  rows: UsageReportRow[];
}

const DAY_MS = 86_400_000;
export const MAX_PERIOD_DAYS = 366;
export const DEFAULT_PERIOD_DAYS = 14;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function addDays(day: string, days: number): string {
  return isoDay(new Date(Date.parse(`${day}T00:00:00.000Z`) + days * DAY_MS));
}

/** The last `days` days, today (UTC) included. */
export function lastDays(now: Date, days = DEFAULT_PERIOD_DAYS): Period {
  const to = isoDay(now);
  return { from: addDays(to, -(days - 1)), to };
}

function realDay(value: string): boolean {
  if (!DATE.test(value)) return false;
  const ms = Date.parse(`${value}T00:00:00.000Z`);
  return Number.isFinite(ms) && isoDay(new Date(ms)) === value;
}

/**
 * `from` and `to` from a query string, both `YYYY-MM-DD` and inclusive; either may be left out
 * (the last 14 days). Refusals name the field.
 */
export function parsePeriod(query: { from?: unknown; to?: unknown }, now: Date): Period {
  const fallback = lastDays(now);
  const fields: Record<string, string> = {};
  const read = (name: 'from' | 'to'): string | undefined => {
    const value = query[name];
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string' || !realDay(value)) {
      fields[name] = 'must be a date as YYYY-MM-DD';
      return undefined;
    }
    return value;
  };
  const givenFrom = read('from');
  const givenTo = read('to');
  if (Object.keys(fields).length > 0) throw validationError(fields);
  const to = givenTo ?? (givenFrom ? minDay(addDays(givenFrom, DEFAULT_PERIOD_DAYS - 1), fallback.to) : fallback.to);
  const from = givenFrom ?? addDays(to, -(DEFAULT_PERIOD_DAYS - 1));
  if (from > to) throw validationError({ from: 'must not be after to' });
  if (Date.parse(to) - Date.parse(from) >= MAX_PERIOD_DAYS * DAY_MS) {
    throw validationError({ to: `must be at most ${MAX_PERIOD_DAYS} days after from` });
  }
  return { from, to };
}

function minDay(a: string, b: string): string {
  return a < b ? a : b;
}

/** Overconsumed organisations first (the most over first), then by name. */
function byAttention(a: UsageReportRow, b: UsageReportRow): number {
  if (a.overconsumed !== b.overconsumed) return a.overconsumed ? -1 : 1;
  if (a.overconsumed && a.available !== b.available) return a.available - b.available;
  return a.organisation < b.organisation ? -1 : a.organisation > b.organisation ? 1 : 0;
}

export function toRow(totals: OrganisationTotals): UsageReportRow {
  const available = totals.purchased - totals.usedPeak;
  return {
    organisation: totals.organisation,
    purchased: totals.purchased,
    trialUsers: totals.trialUsers,
    usedPeak: totals.usedPeak,
    available,
    overconsumed: available < 0,
    activeLicenses: totals.activeLicenses,
    lastReport: totals.lastReportMs === null ? null : new Date(totals.lastReportMs).toISOString(),
  };
}

/** The report for a period, computed by the database in one aggregate query. */
export async function usageReport(store: UsageStore, period: Period, now: Date): Promise<UsageReportResult> {
  const periodEnd = Date.parse(`${addDays(period.to, 1)}T00:00:00.000Z`);
  const activeAt = new Date(Math.min(periodEnd - 1, now.getTime())).toISOString();
  const totals = await store.organisationTotals({ ...period, activeAt });
  return { ...period, activeAt, rows: totals.map(toRow).sort(byAttention) };
}

/**
 * Spreadsheets run a cell that starts with = + - @ (or a tab or carriage return) as a formula; a
 * company or domain name chosen by a customer must never do that in an account manager's Excel
 * (OWASP "CSV injection"). Such text cells get a leading apostrophe; numbers are left alone.
 */
export function defuseFormula(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/** RFC 4180 CSV (CRLF line ends, fields with quotes, commas or line breaks quoted, quotes doubled). */
export function reportCsv(rows: UsageReportRow[]): string {
  return stringify(
    rows.map((row) => [
      defuseFormula(row.organisation),
      row.purchased,
      row.trialUsers,
      row.usedPeak,
      row.available,
      row.overconsumed ? 'true' : 'false',
      row.activeLicenses,
      row.lastReport ?? '',
    ]),
    { header: true, columns: [...CSV_COLUMNS], record_delimiter: 'windows', quoted_match: /^\s|\s$/ },
  );
}

export function csvFilename(period: Period): string {
  return `usage-report-${period.from}-to-${period.to}.csv`;
}
