import type { Duplex } from 'node:stream';
import type { ErrorCode, OAuthError } from './errors';

type ErrorBody = { error: OAuthError; error_description: string; code: ErrorCode };

/**
 * Node answers bytes it cannot parse as HTTP (and oversized headers) itself, with a
 * bare status line, before Express ever sees a request. This keeps the promise that
 * every error is JSON: registered on the server's 'clientError' event.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
  const body = JSON.stringify(
    (tooLarge
      ? { error: 'invalid_request', error_description: 'The request headers are too large.', code: 'headers_too_large' }
      : { error: 'invalid_request', error_description: 'The request is not valid HTTP.', code: 'malformed_http' }) satisfies ErrorBody,
  );
  socket.end(`HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
