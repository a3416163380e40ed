import { afterAll, beforeAll } from 'vitest';
import { startTestService, type TestService, type TestServiceOptions } from './service.ts';
import { SmtpReceiver } from './smtp-receiver.ts';

export interface ServiceFixture {
  smtp: SmtpReceiver;
  /** The running service; available from the file's own `beforeAll` on. */
  readonly service: TestService;
}

/** One SMTP receiver and one service for the whole test file, started before and stopped after it. */
export function useTestService(options: Omit<TestServiceOptions, 'smtpUrl'> = {}): ServiceFixture {
  const smtp = new SmtpReceiver();
  let service: TestService | undefined;
  beforeAll(async () => {
    await smtp.start();
    service = await startTestService({ ...options, smtpUrl: smtp.url });
  });
  afterAll(async () => {
    await service?.close();
    await smtp.stop();
  });
  return {
    smtp,
    get service() {
      if (!service) throw new Error('the service starts in beforeAll');
      return service;
    },
  };
}
