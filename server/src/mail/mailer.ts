export interface MailAttachment {
  filename: string;
  content: string;
  contentType: string;
}

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  attachments: MailAttachment[];
  headers?: Record<string, string>;
}

/** Sends mail; throws `MailDeliveryError` saying whether a retry can help. */
export interface Mailer {
  /**
   * `urgent`: a first attempt that someone is waiting for (a mint's or resend's answer); the
   * transport may give it connections of its own, so that a backlog of retries cannot hold it up.
   */
  send(mail: OutgoingMail, options?: { urgent?: boolean }): Promise<void>;
  /** Throws when the transport cannot currently send (readiness). */
  check(): Promise<void>;
  close(): Promise<void>;
  /** Where mail goes, for start-up output; never includes credentials. */
  readonly description: string;
}

export class MailDeliveryError extends Error {
  constructor(
    message: string,
    /** A 5xx refusal: retrying the same message would be refused again. */
    readonly permanent: boolean,
  ) {
    super(message);
  }
}
