import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * One HTTP request with full control over what `fetch` will not let a test set: the `Host`
 * header, and the client's own loopback address (`127.0.0.2`, … — Linux answers on all of
 * 127.0.0.0/8), so a test can be "another client".
 */
export function rawRequest(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; localAddress?: string } = {},
): Promise<RawResponse> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        headers: {
          ...(init.body !== undefined ? { 'content-length': String(Buffer.byteLength(init.body)) } : {}),
          ...init.headers,
        },
        ...(init.localAddress ? { localAddress: init.localAddress } : {}),
        agent: false,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      },
    );
    request.on('error', reject);
    if (init.body !== undefined) request.write(init.body);
    request.end();
  });
}

/**
 * A reverse proxy on loopback in front of the service, as the README's nginx recipe sets it up
 * (`proxy_set_header Host $host;`): every request goes on with `Host` set to the public name.
 */
export class LoopbackReverseProxy {
  private server: http.Server | undefined;
  url = '';

  constructor(
    private readonly upstream: string,
    private readonly publicHost: string,
  ) {}

  async start(): Promise<this> {
    const upstream = new URL(this.upstream);
    this.server = http.createServer((incoming, outgoing) => {
      const forwarded = http.request(
        {
          host: upstream.hostname,
          port: upstream.port,
          path: incoming.url,
          method: incoming.method,
          headers: { ...incoming.headers, host: this.publicHost, 'x-forwarded-proto': 'https' },
          agent: false,
        },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forwarded.on('error', () => {
        outgoing.writeHead(502);
        outgoing.end();
      });
      incoming.pipe(forwarded);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
