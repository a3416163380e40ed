import type { Clock } from '@mintdesk/server/clock.ts';

/** A clock that stands still until the test moves it. */
export class ManualClock implements Clock {
  private current: number;

  constructor(start: string | Date = '2026-11-21T09:30:00.000Z') {
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): void {
    this.current += ms;
  }
}
