import { DEFAULT_RETRY_POLICY } from '@mintdesk/server/config.ts';
import { newLicenseId } from '@mintdesk/server/licenses/license-id.ts';
import { composeLicenseEmail } from '@mintdesk/server/mail/license-email.ts';
import { toDeliveryError } from '@mintdesk/server/mail/smtp-mailer.ts';
import { nextRetryAtMs, retryDelayMs } from '@mintdesk/server/queue/backoff.ts';
import { failureTitle, successTitle } from '@mintdesk/shared';
import { describe, expect, it } from 'vitest';

describe('retry backoff', () => {
  it('retries first within 10 s', () => {
    expect(retryDelayMs(1, DEFAULT_RETRY_POLICY, () => 1)).toBeLessThanOrEqual(10_000);
    expect(retryDelayMs(1, DEFAULT_RETRY_POLICY, () => 0)).toBeGreaterThan(0);
  });

  it('doubles, with jitter, and never waits more than 15 minutes', () => {
    const low = [1, 2, 3, 4].map((n) => retryDelayMs(n, DEFAULT_RETRY_POLICY, () => 0));
    expect(low).toEqual([2000, 4000, 8000, 16000]);
    for (let n = 1; n < 200; n++) {
      expect(retryDelayMs(n, DEFAULT_RETRY_POLICY, () => 1)).toBeLessThanOrEqual(15 * 60_000);
    }
  });

  it('gives up after 24 hours', () => {
    const created = 0;
    expect(nextRetryAtMs({ attempts: 50, created_ms: created }, 23 * 3600_000, DEFAULT_RETRY_POLICY)).not.toBeNull();
    expect(nextRetryAtMs({ attempts: 50, created_ms: created }, 24 * 3600_000, DEFAULT_RETRY_POLICY)).toBeNull();
  });
});

describe('SMTP failure classes', () => {
  it('treats 5xx as permanent, 4xx and network errors as temporary', () => {
    expect(toDeliveryError({ responseCode: 550, response: '550 no such user' }).permanent).toBe(true);
    expect(toDeliveryError({ responseCode: 535, response: '535 auth failed' }).permanent).toBe(true);
    expect(toDeliveryError({ responseCode: 451, response: '451 try later' }).permanent).toBe(false);
    expect(toDeliveryError({ code: 'ECONNECTION', message: 'connect ECONNREFUSED' }).permanent).toBe(false);
  });
});

describe('issue titles', () => {
  it('are exactly the contract titles', () => {
    expect(successTitle('a@example.org', 7)).toBe('[Success] - Created a license under a@example.org for 7 users');
    expect(failureTitle('a@example.org', 1)).toBe(
      '[Failure] - Could not create a license under a@example.org for 1 users',
    );
  });
});

describe('license ids', () => {
  it('are never all digits and never contain @', () => {
    for (let i = 0; i < 1000; i++) {
      const id = newLicenseId();
      expect(id).toMatch(/^lic_[a-z0-9]{16}$/);
    }
  });
});

describe('the license email', () => {
  it('escapes what it shows in HTML', () => {
    const mail = composeLicenseEmail({
      from: 'Licensing <l@example.org>',
      licenseId: 'lic_x',
      key: 'a.b.c',
      email: '"<script>"@example.org',
      userCount: 1,
      issuedAt: new Date('2026-11-21T09:30:00Z'),
      expiresAt: new Date('2026-12-01T09:30:00Z'),
      days: 10,
      plan: 'ultimate',
      ticketId: null,
    });
    expect(mail.html).not.toContain('<script>');
    expect(mail.text).toContain('for up to 1 user on the ultimate plan');
  });
});
