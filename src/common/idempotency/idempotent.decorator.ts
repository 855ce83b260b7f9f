import { applyDecorators, UseInterceptors } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { IdempotencyInterceptor } from './idempotency.interceptor';

/** Marks a POST route as idempotent with the Idempotency-Key header, and documents the header. */
export const Idempotent = () =>
  applyDecorators(
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description:
        'Up to 255 characters, unique per operation (a uuid). Same key and body within 24 h: the first answer is replayed with Idempotent-Replayed: true. ' +
        'Different body: 422. While the first is running: 409. After a 502/429 the same request with the same key is safe to retry.',
      schema: { type: 'string', maxLength: 255, example: '5f0c2b0e-3f4d-4a51-9a65-0e2b9c1e7d11' },
    }),
  );
