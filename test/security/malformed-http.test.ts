import http from 'node:http';
import net, { AddressInfo } from 'node:net';
import { answerClientError } from '../../app/client-error';
import { killAllServers, startServer } from '../helpers/server-process';

/** Sends raw bytes and returns everything the server wrote back before closing. */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    socket.on('end', () => resolve(received));
    socket.on('error', reject);
    socket.setTimeout(5000, () => reject(new Error('no answer')));
  });
}

describe('requests that are not HTTP (server clientError)', () => {
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    server = http.createServer({ maxHeaderSize: 8192 }, (_req, res) => res.end('ok'));
    server.on('clientError', answerClientError);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const body = (response: string) => JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));

  it('answers garbage with a JSON 400 instead of a bare status line', async () => {
    const response = await rawExchange(port, 'NOT HTTP AT ALL\r\n\r\n');
    expect(response).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(response).toMatch(/\r\nContent-Type: application\/json\r\n/);
    expect(body(response)).toEqual({ error: 'invalid_request', error_description: 'The request is not valid HTTP.', code: 'malformed_http' });
  });

  it('answers oversized headers with a JSON 431', async () => {
    const response = await rawExchange(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(response).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(body(response)).toMatchObject({ error: 'invalid_request', code: 'headers_too_large' });
  });
});

describe('the real server (node dist/server.js)', () => {
  afterAll(() => killAllServers());

  it('is wired to answer malformed HTTP with JSON', async () => {
    const server = await startServer();
    const response = await rawExchange(server.port, 'GET / HTTP/1.1\r\nBad Header Line\r\n\r\n');
    expect(response).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(response).toContain('"code":"malformed_http"');
  });
});
