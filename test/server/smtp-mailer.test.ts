import { SmtpMailer } from '@mintdesk/server/mail/smtp-mailer.ts';
import type { OutgoingMail } from '@mintdesk/server/mail/mailer.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { SmtpReceiver } from '../support/smtp-receiver.ts';

const mail = (n: number): OutgoingMail => ({
  from: 'Licensing <licensing@localhost>',
  to: `outage${n}@example.org`,
  subject: `Your license ${n}`,
  text: 'the license',
  html: '<p>the license</p>',
  attachments: [{ filename: 'license.jwt', content: `key.${n}`, contentType: 'application/jwt' }],
});

describe('SMTP mailer', () => {
  const smtp = new SmtpReceiver();
  let mailer: SmtpMailer | undefined;
  afterAll(async () => {
    await mailer?.close();
    await smtp.stop();
  });

  it('sends again once the mail server is back, however many connections failed while it was away', async () => {
    await smtp.start();
    mailer = new SmtpMailer(smtp.url);
    await mailer.send(mail(0));
    await smtp.stop();
    // More failures than the pool has connections: none of them may stay counted in the pool.
    const failures = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => mailer?.send(mail(i + 1))));
    expect(failures.every((result) => result.status === 'rejected')).toBe(true);
    await smtp.start();
    await mailer.send(mail(99));
    await Promise.all(Array.from({ length: 20 }, (_, i) => mailer?.send(mail(100 + i))));
    expect(smtp.messages.map((message) => message.subject)).toContain('Your license 99');
    expect(smtp.messages).toHaveLength(22);
  }, 20_000);
});
