import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppConfig } from '../../config/configuration';
import { ProblemException } from '../errors/problem';

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;

/**
 * Request budgets, counted by @fastify/rate-limit (registered in createApp) in memory, per instance:
 * a check costs a map lookup, where a shared store (PostgreSQL) would cost a round trip on every /v1
 * request, more than the request itself. With N instances behind a balancer the effective budgets are
 * N times these; failed authentications stay hopeless to brute-force either way (keys are >= 16 random chars).
 */
@Injectable()
export class RateLimits {
  private limiters?: { failures: Limiter; perKey: Limiter };

  constructor(
    private readonly config: ConfigService<AppConfig, true>,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** 429 if this client IP used up its failed authentications (or webhook signatures): nothing else is checked meanwhile. */
  async assertNotLockedOut(request: FastifyRequest): Promise<void> {
    const state = await this.get().failures(request, { increment: false });
    if (!state.isAllowed && state.isExceeded) throw lockedOut(state.ttlInSeconds);
  }

  /** Counts a failed authentication of this client IP; the one over the budget is answered 429 instead. */
  async countFailure(request: FastifyRequest): Promise<void> {
    const state = await this.get().failures(request);
    if (!state.isAllowed && state.isExceeded) throw lockedOut(state.ttlInSeconds);
  }

  /** Counts a request of the API key `name`; 429 over RATE_LIMIT_PER_KEY_PER_SECOND. */
  async countKeyRequest(request: FastifyRequest & { apiKeyName?: string }): Promise<void> {
    const state = await this.get().perKey(request);
    if (!state.isAllowed && state.isExceeded) {
      throw new ProblemException(
        429,
        'rate_limited',
        `This API key is over its ${state.max} requests per second; retry after Retry-After seconds.`,
        {},
        { 'Retry-After': String(Math.max(1, state.ttlInSeconds)) },
      );
    }
  }

  private get() {
    if (this.limiters) return this.limiters;
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const limits = this.config.get('http', { infer: true });
    this.limiters = {
      failures: fastify.createRateLimit({ max: limits.failedAuthPerMinute, timeWindow: 60_000, keyGenerator: (r) => `ip:${r.ip}` }),
      perKey: fastify.createRateLimit({
        max: limits.perKeyPerSecond,
        timeWindow: 1_000,
        keyGenerator: (r) => `key:${(r as FastifyRequest & { apiKeyName?: string }).apiKeyName}`,
      }),
    };
    return this.limiters;
  }
}

const lockedOut = (seconds: number) =>
  new ProblemException(
    429,
    'too_many_failed_attempts',
    'Too many failed authentications from this address; retry after Retry-After seconds.',
    {},
    { 'Retry-After': String(Math.max(1, seconds)) },
  );
