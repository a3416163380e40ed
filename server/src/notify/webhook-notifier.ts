import { retryAfterMs } from '../retry-after.ts';

/** A team-channel message about one license, Slack's incoming-webhook shape (`text`, mrkdwn). */
export interface ChannelMessage {
  text: string;
}

export interface Notifier {
  /** Throws `NotifyError` when the message was not accepted. */
  post(message: ChannelMessage): Promise<void>;
}

export class NotifyError extends Error {
  constructor(
    message: string,
    /** Retrying cannot help (the webhook is gone, the payload refused). */
    readonly permanent: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'NotifyError';
  }
}

/**
 * NOTIFY_WEBHOOK_URL: posts to a Slack-compatible incoming webhook. Slack answers 200 `ok`; 400
 * (`invalid_payload`), 403, 404 (`no_service`) and 410 (`channel_is_archived`) will not change on
 * a retry; 429 says when to come back; 5xx and network errors are worth retrying.
 */
export class WebhookNotifier implements Notifier {
  constructor(
    private readonly url: string,
    private readonly timeoutMs = 10_000,
  ) {}

  async post(message: ChannelMessage): Promise<void> {
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(message),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new NotifyError(`the webhook could not be reached: ${(error as Error).message}`, false);
    }
    const answer = (await response.text()).slice(0, 200);
    if (response.ok) return;
    if (response.status === 429) {
      throw new NotifyError('the webhook is rate limiting us (429)', false, retryAfterMs(response.headers, 30_000));
    }
    throw new NotifyError(`the webhook answered ${response.status} ${answer}`, response.status < 500);
  }
}
