// Messages are composed (MIME) on a worker thread: what comes back is the message, a worker that
// dies fails only the messages it held (temporary: their jobs retry), and the next one starts anew.
import { describe, expect, it } from 'vitest';
import { MailComposerThread } from '@mintdesk/server/mail/compose-off-thread.ts';
import { MailDeliveryError, type OutgoingMail } from '@mintdesk/server/mail/mailer.ts';

const mail = (subject: string): OutgoingMail => ({
  from: 'Licenses <licenses@example.com>',
  to: 'ana@example.org',
  subject,
  text: 'Your license is attached. Ünïcödé survives.',
  html: '<p>Your license is attached.</p>',
  attachments: [{ filename: 'license.jwt', content: 'eyJhbGciOiJFZERTQSJ9.e30.sig', contentType: 'application/jwt' }],
});

const crashing = new URL('../support/crashing-compose-worker.js', import.meta.url);

describe('the mail composer thread', () => {
  it('returns the whole message and its envelope', async () => {
    const composer = new MailComposerThread();
    try {
      const { envelope, raw } = await composer.compose(mail('Your trial license'));
      expect(envelope).toEqual({ from: 'licenses@example.com', to: ['ana@example.org'] });
      const text = raw.toString('utf8');
      expect(text).toContain('Subject: Your trial license');
      expect(text).toContain('filename=license.jwt');
      expect(text).toMatch(/^Content-Type: multipart\/mixed/m);
    } finally {
      await composer.close();
    }
  });

  it('fails the messages of a worker that died as temporary, and starts a new one for the next', async () => {
    const composer = new MailComposerThread(crashing);
    try {
      const lost = composer.compose(mail('crash'));
      await expect(lost).rejects.toBeInstanceOf(MailDeliveryError);
      await expect(lost).rejects.toMatchObject({ permanent: false, message: expect.stringMatching(/exit code 3/) });
      const next = await composer.compose(mail('after the crash'));
      expect(next.raw.toString('utf8')).toContain('Subject: after the crash');
    } finally {
      await composer.close();
    }
  });

  it('refuses to compose once closed', async () => {
    const composer = new MailComposerThread();
    await composer.compose(mail('one'));
    await composer.close();
    await expect(composer.compose(mail('two'))).rejects.toMatchObject({ permanent: false });
  });
});
