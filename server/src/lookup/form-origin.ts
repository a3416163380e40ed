import type { FastifyRequest } from 'fastify';

/**
 * Whether a form post came from another site: `Sec-Fetch-Site: cross-site`, or an `Origin` that
 * is neither this service's public origin nor the host the request was sent to. Our pages send
 * `Referrer-Policy: no-referrer`, under which Chromium posts its same-origin forms with
 * `Origin: null`: an opaque origin is taken only with a `Sec-Fetch-Site` that vouches for it. A
 * request with neither header (a script, curl) is not a browser driven by another site.
 */
export function crossSiteForm(request: FastifyRequest, publicUrl: string): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site === 'cross-site') return true;
  const origin = request.headers.origin;
  if (typeof origin !== 'string') return false;
  if (origin === 'null') return site !== 'same-origin' && site !== 'same-site';
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
