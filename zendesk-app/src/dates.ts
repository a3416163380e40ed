/** `YYYY-MM-DD` in UTC: the date the license itself carries, whatever the agent's time zone. */
export function utcDate(iso: string | null): string {
  // Null: a perpetual license, which has no end date.
  return iso === null ? '–' : new Date(iso).toISOString().slice(0, 10);
}

export function utcDateTime(iso: string | null): string {
  return iso === null ? '–' : `${new Date(iso).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const DAY_MS = 86_400_000;

export function issuedWithinDays(iso: string, days: number, now: Date): boolean {
  return now.getTime() - new Date(iso).getTime() < days * DAY_MS;
}
