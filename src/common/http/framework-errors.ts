import { Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { problem, PROBLEM_CONTENT_TYPE } from '../errors/problem';
import { sendProblem } from '../errors/problem-details.filter';

const logger = new Logger('HTTP');

/**
 * Fastify's router answers a malformed URL (FST_ERR_BAD_URL, 400) and an over-long path parameter
 * (FST_ERR_MAX_PARAM_LENGTH, 414) before any hook or Nest filter runs, in plain JSON; this renders them
 * as problem+json like every other error, with the headers the onRequest hooks would have set: the request
 * id and `securityHeaders` (filled once the app knows them, see registerSecurityHeaders).
 */
export function frameworkErrorsWith(securityHeaders: Readonly<Record<string, string>>) {
  return (error: Error, request: FastifyRequest, reply: FastifyReply): void => {
    void reply.headers(securityHeaders).header('x-request-id', request.id);
    sendProblem(error, request, reply, logger);
  };
}

/**
 * What Node's HTTP parser refuses before Fastify sees a request (malformed framing, headers over Node's
 * 16 KiB maxHeaderSize, a request not complete within HTTP_REQUEST_TIMEOUT_SECONDS / headers timeout)
 * reaches the server's 'clientError' event; Fastify's default answers plain JSON, this answers problem+json
 * and closes the connection, as Node itself would.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, detail] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [
          408,
          'request_timeout',
          'The request was not complete in time (HTTP_REQUEST_TIMEOUT_SECONDS, headers within HTTP_HEADERS_TIMEOUT_SECONDS).',
        ]
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'headers_too_large', 'The request headers are larger than the 16 KiB this server accepts.']
        : [400, 'malformed_request', 'The HTTP request could not be parsed (request line, headers or body framing).'];
  const body = JSON.stringify(problem(status, code, detail));
  // A response already under way on this socket cannot be replaced by another: only close it then.
  const answering = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !answering?.headersSent)
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  socket.destroy(error);
}
