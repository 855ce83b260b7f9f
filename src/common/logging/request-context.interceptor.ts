import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Observable } from 'rxjs';
import { requestContext } from './request-context';

/**
 * Runs the handler inside the request's async context, so any log line a service writes carries
 * the request id. (Fastify's own per-request lines get it through its child logger.)
 */
@Injectable()
export class RequestContextInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    return new Observable((subscriber) =>
      requestContext.run({ requestId: String(request.id) }, () => next.handle().subscribe(subscriber)),
    );
  }
}
