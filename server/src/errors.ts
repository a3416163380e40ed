import type { ErrorBody } from '@mintdesk/shared';

/** Every error the API answers with: one stable code, one status, one default sentence. */
export const ERRORS = {
  validation_failed: { status: 400, message: 'Some fields were refused.' },
  invalid_json: { status: 400, message: 'The request body is not valid JSON.' },
  bad_request: { status: 400, message: 'The request could not be understood.' },
  unauthorized: { status: 401, message: 'Authentication is required: send a valid bearer token.' },
  approval_forbidden: {
    status: 403,
    message: 'Only an approver with their own credential, who did not ask for this license, can decide on it.',
  },
  license_revoked: { status: 403, message: 'This license has been revoked; its usage reports are refused.' },
  not_found: { status: 404, message: 'Nothing was found at this address.' },
  method_not_allowed: { status: 405, message: 'This method is not allowed here.' },
  license_already_revoked: { status: 409, message: 'This license was already revoked.' },
  payload_too_large: { status: 413, message: 'The request body is larger than 64 KiB.' },
  uri_too_long: { status: 414, message: 'The request address is too long.' },
  headers_too_large: { status: 431, message: 'The request headers are too large.' },
  unsupported_media_type: { status: 415, message: 'Send the request body as application/json.' },
  not_pending: { status: 409, message: 'This license is not waiting for approval.' },
  idempotency_key_reused: {
    status: 422,
    message: 'This Idempotency-Key was already used with a different request body.',
  },
  rate_limited: { status: 429, message: 'Too many requests; try again later.' },
  email_daily_limit: {
    status: 429,
    message: 'This requester email has reached the daily number of emergency licenses.',
  },
  resend_limit: {
    status: 429,
    message: 'This license was resent as often as this service allows in 24 hours.',
  },
  license_not_created: { status: 500, message: 'The license could not be created; nothing was sent.' },
  internal_error: { status: 500, message: 'Something went wrong on our side; it has been logged.' },
  service_unavailable: { status: 503, message: 'The service is not ready; try again shortly.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export class AppError extends Error {
  readonly status: number;
  /** Fastify and its plugins read a thrown error's status from here (and Fastify writes it back). */
  statusCode: number;
  /** Seconds after which a refused request may succeed; sent as `Retry-After`. */
  retryAfterS: number | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string = ERRORS[code].message,
    readonly fields?: Record<string, string>,
  ) {
    super(message);
    this.status = ERRORS[code].status;
    this.statusCode = this.status;
  }

  withRetryAfter(seconds: number): this {
    this.retryAfterS = Math.max(1, Math.ceil(seconds));
    return this;
  }

  toBody(): ErrorBody {
    return {
      error: { code: this.code, message: this.message, ...(this.fields ? { fields: this.fields } : {}) },
    };
  }
}

export function validationError(fields: Record<string, string>): AppError {
  const names = Object.keys(fields);
  const message =
    names.length === 1
      ? `The field ${names[0]} was refused: ${fields[names[0] as string]}.`
      : `Fields refused: ${names.join(', ')}.`;
  return new AppError('validation_failed', message, fields);
}
