import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE } from './problem';
import { DATABASE_RETRY_AFTER_SECONDS } from './database-unavailable';
import { toProblem } from './to-problem';
import { unavailableLog } from './unavailable-log';

/** Renders every error as RFC 9457 problem details; the internals of unexpected ones go to the log only. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(error: unknown, host: ArgumentsHost) {
    const http = host.switchToHttp();
    sendProblem(error, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), this.logger);
  }
}

export function sendProblem(error: unknown, request: FastifyRequest, reply: FastifyReply, logger: Pick<Logger, 'error' | 'warn'>) {
  const { problem, headers: given, unexpected, logContext } = toProblem(error);
  const headers = { ...given };
  problem.requestId = String(request.id);
  // Every 503 says when to come back (readiness and the webhook route included).
  if (problem.status === 503 && !Object.keys(headers).some((h) => h.toLowerCase() === 'retry-after'))
    headers['Retry-After'] = String(DATABASE_RETRY_AFTER_SECONDS);
  if (unexpected) logger.error({ err: error, method: request.method, url: request.url }, 'Unhandled error');
  // An outage is one fact, not one per request: counted, logged once per interval.
  else if (problem.status === 503) unavailableLog.note(logger, `Answering 503 ${problem.code}`, logContext?.reason as string | undefined);
  else if (problem.status >= 500) logger.warn({ code: problem.code, detail: problem.detail, ...logContext }, 'Request failed');
  if (reply.sent) return;
  void reply.status(problem.status).headers(headers).type(PROBLEM_CONTENT_TYPE).send(problem);
}
