import { ErrorBody } from '@mintdesk/shared';
import { LicenseList, LicenseRecord, type MintBody, PoliciesAnswer } from './policies.ts';
import type { ZafClient, ZafRequestFailure, ZafRequestOptions } from './zaf/zaf-client.ts';

/** A refusal or failure from the service, in the contract's error shape. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Token lifetime asked of the Zendesk proxy; the service accepts at most an hour. */
const TOKEN_EXPIRY_S = 300;

export interface LicenseApi {
  /** Mints (201) or files a request waiting for approval (202, `approval.status: "pending"`). */
  mint(body: MintBody, idempotencyKey: string): Promise<LicenseRecord>;
  get(id: string): Promise<LicenseRecord>;
  listByEmail(email: string): Promise<LicenseRecord[]>;
  resend(id: string): Promise<LicenseRecord>;
  /** The enabled kinds with their durations, limits and approval: the form's source of truth. */
  policies(): Promise<PoliciesAnswer>;
  addInternalNote(ticketId: number, body: string): Promise<void>;
}

/**
 * The service's API through the Zendesk proxy: the proxy signs each request as an HS256 JWT with
 * the secure `appSecret` setting, which never reaches this code.
 */
export function createLicenseApi(client: ZafClient, serverUrl: string): LicenseApi {
  const base = serverUrl.replace(/\/+$/, '');

  async function call<T>(path: string, options: Partial<ZafRequestOptions>, parse: (value: unknown) => T): Promise<T> {
    try {
      const answer = await client.request<unknown>({
        url: `${base}${path}`,
        type: 'GET',
        dataType: 'json',
        secure: true,
        cors: false,
        jwt: { algorithm: 'HS256', secret_key: '{{setting.appSecret}}', expiry: TOKEN_EXPIRY_S },
        ...options,
        headers: { Authorization: 'Bearer {{jwt.token}}', ...options.headers },
      });
      return parse(typeof answer === 'string' ? JSON.parse(answer) : answer);
    } catch (error) {
      throw toApiError(error);
    }
  }

  return {
    mint: (body, idempotencyKey) =>
      call(
        '/api/v1/licenses',
        {
          type: 'POST',
          contentType: 'application/json',
          data: JSON.stringify(body),
          headers: { 'Idempotency-Key': idempotencyKey },
        },
        (value) => LicenseRecord.parse(value),
      ),
    get: (id) => call(`/api/v1/licenses/${encodeURIComponent(id)}`, {}, (value) => LicenseRecord.parse(value)),
    listByEmail: (email) =>
      call(
        `/api/v1/licenses?email=${encodeURIComponent(email)}&limit=20`,
        {},
        (value) => LicenseList.parse(value).licenses,
      ),
    resend: (id) =>
      call(`/api/v1/licenses/${encodeURIComponent(id)}/resend`, { type: 'POST' }, (value) =>
        LicenseRecord.parse(value),
      ),
    policies: () => call('/api/v1/policies', {}, (value) => PoliciesAnswer.parse(value)),
    async addInternalNote(ticketId, body) {
      try {
        await client.request({
          url: `/api/v2/tickets/${ticketId}.json`,
          type: 'PUT',
          contentType: 'application/json',
          data: JSON.stringify({ ticket: { comment: { body, public: false } } }),
        });
      } catch (error) {
        throw toApiError(error);
      }
    },
  };
}

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const failure = (error ?? {}) as ZafRequestFailure;
  const status = typeof failure.status === 'number' ? failure.status : 0;
  let body: unknown = failure.responseJSON;
  if (body === undefined && typeof failure.responseText === 'string') {
    try {
      body = JSON.parse(failure.responseText);
    } catch {
      body = undefined;
    }
  }
  const parsed = ErrorBody.safeParse(body);
  if (parsed.success) {
    const { code, message, fields } = parsed.data.error;
    return new ApiError(status, code, message, fields);
  }
  if (status === 0) return new ApiError(0, 'network_error', '');
  const message = error instanceof Error ? error.message : `HTTP ${status}`;
  return new ApiError(status, 'unexpected_response', message);
}
