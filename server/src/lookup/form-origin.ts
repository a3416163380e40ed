import type { FastifyRequest } from 'fastify';

/**
 * Whether a form post came from another site: `Sec-Fetch-Site: cross-site`, or an `Origin` that
 * is neither this service's public origin nor the host the request was sent to (an opaque
 * `null` origin included). Browsers send one or both on every form post; a request with neither
 * (a script, curl) is not a browser being driven by another site.
 */
export function crossSiteForm(request: FastifyRequest, publicUrl: string): boolean {
  if (request.headers['sec-fetch-site'] === 'cross-site') return true;
  const origin = request.headers.origin;
  if (typeof origin !== 'string') return false;
  let sender: URL;
  try {
    sender = new URL(origin);
  } catch {
    return true;
  }
  if (sender.origin === new URL(publicUrl).origin) return false;
  const host = request.headers.host;
  return typeof host !== 'string' || sender.host !== host.toLowerCase();
}
