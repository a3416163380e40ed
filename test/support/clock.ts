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

/** Real time that a test can still move forward: for suites that wait on real retries. */
export class RunningClock extends ManualClock {
  private offsetMs = 0;

  override now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  override advance(ms: number): void {
    this.offsetMs += ms;
  }
}
