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
      // No example: Swagger UI would send the same one with every POST and the second would answer 422.
      description:
        'Makes retrying this POST safe: send a NEW unique value (e.g. a fresh uuid) for every new operation, and the SAME value when ' +
        'retrying that operation. Up to 255 characters. Same key and body within 24 h: the first answer is replayed with ' +
        'Idempotent-Replayed: true. Different body: 422. While the first is running: 409. Leave it empty to send none.',
      schema: { type: 'string', maxLength: 255 },
    }),
  );
