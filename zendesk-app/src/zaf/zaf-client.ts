/** The part of the Zendesk App Framework client this app uses, typed. */
export interface ZafRequestOptions {
  url: string;
  type?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  contentType?: string;
  data?: string;
  headers?: Record<string, string>;
  secure?: boolean;
  cors?: boolean;
  jwt?: { algorithm: 'HS256'; secret_key: string; expiry: number };
  dataType?: 'json' | 'text';
}

export interface ZafClient {
  get(paths: string | string[]): Promise<Record<string, unknown>>;
  invoke(name: string, ...args: unknown[]): Promise<unknown>;
  request<T = unknown>(options: ZafRequestOptions): Promise<T>;
  metadata(): Promise<{ settings: Record<string, unknown> }>;
  context(): Promise<{ account?: { subdomain?: string }; ticketId?: number; location?: string }>;
  on(event: string, handler: (...args: unknown[]) => void): void;
}

/** What `client.request` rejects with: a jqXHR-like object. */
export interface ZafRequestFailure {
  status?: number;
  responseText?: string;
  responseJSON?: unknown;
}

declare global {
  interface Window {
    ZAFClient?: { init(): ZafClient | false | undefined };
  }
}

/** Initialises the ZAF client once; null outside Zendesk (the SDK is absent or declines). */
export function initZafClient(): ZafClient | null {
  const sdk = window.ZAFClient;
  if (!sdk) return null;
  return sdk.init() || null;
}
