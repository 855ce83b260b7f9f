import { Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE, DiscoveryModule } from '@nestjs/core';
import { ApiKeyAuth } from './auth/api-key-auth';
import { MeController } from './auth/me.controller';
import { RateLimits } from './auth/rate-limits';
import { ProblemDetailsFilter } from './errors/problem-details.filter';
import { createValidationPipe } from './validation';

/**
 * Cross-cutting behaviour registered as providers, so a test that builds AppModule gets it too.
 * API keys are checked by ApiKeyAuth in a Fastify onRequest hook (createApp), before the body is read.
 */
@Global()
@Module({
  imports: [DiscoveryModule],
  controllers: [MeController],
  providers: [
    ApiKeyAuth,
    RateLimits,
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
    { provide: APP_PIPE, useFactory: createValidationPipe },
  ],
  exports: [ApiKeyAuth, RateLimits],
})
export class CommonModule {}
