import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReverseProxy {
  /** The proxy's own base URL, including pathPrefix. */
  url: string;
  /** What the proxy sent upstream for each request, in order. */
  requests: { host?: string; xff?: string }[];
  stop(): Promise<void>;
}

/**
 * A reverse proxy the way a tunnel or nginx behaves towards the relay: the Host header names the
 * upstream, the public host and scheme travel in X-Forwarded-*, and an unreachable upstream is a 502.
 */
export async function startReverseProxy(target: string, options: { pathPrefix?: string } = {}): Promise<ReverseProxy> {
  const upstream = new URL(target);
  const upstreamBase = upstream.pathname.replace(/\/+$/, '');
  const prefix = (options.pathPrefix ?? '').replace(/\/+$/, '');
  const requests: ReverseProxy['requests'] = [];

  const server = http.createServer((request, response) => {
    const incoming = request.url ?? '/';
    if (prefix && incoming !== prefix && !incoming.startsWith(`${prefix}/`) && !incoming.startsWith(`${prefix}?`)) {
      request.resume();
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const rest = incoming.slice(prefix.length) || '/';
    const headers: http.OutgoingHttpHeaders = { ...request.headers };
    const previous = request.headers['x-forwarded-for'];
    const xff = [previous, request.socket.remoteAddress].filter(Boolean).join(', ');
    headers.host = upstream.host;
    headers['x-forwarded-for'] = xff;
    headers['x-forwarded-host'] = request.headers.host ?? '';
    headers['x-forwarded-proto'] = 'https';
    headers.connection = 'close';
    requests.push({ host: upstream.host, xff });

    const proxied = http.request({ hostname: upstream.hostname, port: upstream.port, method: request.method, path: `${upstreamBase}${rest}`, headers, agent: false }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    proxied.on('error', () => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      response.writeHead(502, { 'content-type': 'text/html' }).end('<html><body><h1>502 Bad Gateway</h1></body></html>');
    });
    request.pipe(proxied);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
