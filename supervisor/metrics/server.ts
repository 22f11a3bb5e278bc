import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listenError } from '../config/listen-error.ts';
import type { FleetMetrics } from './metrics.ts';

export interface MetricsServerOptions {
  /** 127.0.0.1 unless told otherwise: positions and equity are nobody else's business. */
  host?: string;
  /** 0 picks a free port; the real one is returned. */
  port: number;
  metrics: Pick<FleetMetrics, 'metricsText' | 'contentType'>;
}

export interface MetricsServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

/** Serves GET /metrics for Prometheus to scrape; every other path is 404 and every other method on it 405. */
export function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?', 1)[0];
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    options.metrics.metricsText().then(
      (text) => {
        response.writeHead(200, { 'content-type': options.metrics.contentType, 'cache-control': 'no-store' });
        response.end(request.method === 'HEAD' ? undefined : text);
      },
      () => {
        // The cause stays in the process; a scraper only needs to know this scrape failed.
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics collection failed\n');
      },
    );
  });
  return new Promise((resolve, reject) => {
    const refused = (error: unknown): void => reject(listenError(error, 'metrics.port', host, options.port));
    server.once('error', refused);
    server.listen(options.port, host, () => {
      server.off('error', refused);
      const address = server.address() as AddressInfo;
      resolve({
        host,
        port: address.port,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error === undefined ? done() : fail(error)));
            // Scrapers keep connections alive; closing them lets the server stop now rather than at their timeout.
            server.closeAllConnections();
          }),
      });
    });
  });
}
