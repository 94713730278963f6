import http, { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestListener } from 'node:http';

/**
 * A bare HTTP client for what supertest cannot send: a header line twice, raw
 * latin-1 bytes in a header, any method, any path, any body bytes.
 */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  json: unknown;
}

export interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
}

export interface Listening {
  port: number;
  /** TCP connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/** Starts `handler` on an ephemeral loopback port. */
export function listen(handler: RequestListener): Promise<Listening> {
  const server: Server = http.createServer(handler);
  let connections = 0;
  server.on('connection', () => (connections += 1));
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        connections: () => connections,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

export function rawRequest(port: number, request: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: request.method ?? 'GET', path: request.path, agent: false });
    for (const [name, value] of Object.entries(request.headers ?? {})) req.setHeader(name, value);
    // Node frames GET/DELETE bodies neither by length nor by chunks unless told: say the length.
    if (request.body !== undefined && !req.hasHeader('content-length') && !req.hasHeader('transfer-encoding')) {
      req.setHeader('content-length', Buffer.byteLength(request.body));
    }
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text === '' ? undefined : JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.end(request.body);
  });
}
