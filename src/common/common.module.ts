import { Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ApiKeyGuard } from './auth/api-key.guard';
import { MeController } from './auth/me.controller';
import { ProblemDetailsFilter } from './errors/problem-details.filter';
import { createValidationPipe } from './validation';

/** Cross-cutting behaviour registered as providers, so a test that builds AppModule gets it too. */
@Global()
@Module({
  controllers: [MeController],
  providers: [
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
    { provide: APP_PIPE, useFactory: createValidationPipe },
  ],
})
export class CommonModule {}
