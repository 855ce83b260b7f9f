import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AppConfig } from '../../config/configuration';
import { ProblemException } from '../errors/problem';
import { sendProblem } from '../errors/problem-details.filter';
import { RateLimits } from './rate-limits';
import type { AccessRequirement } from './required-scope.decorator';
import { buildRouteTable, lookupRoute, RouteTable } from './route-table';
import type { Scope } from './scopes';

export interface ApiKeyIdentity {
  name: string;
  scopes: readonly Scope[];
}

export interface AuthenticatedRequest extends FastifyRequest {
  apiKey?: ApiKeyIdentity;
  /** Same as apiKey.name (idempotency keys are scoped by it). */
  apiKeyName?: string;
}

// Hashing first gives equal-length inputs, so the comparison time says nothing about the key's length.
const digest = (value: string) => createHash('sha256').update(value).digest();

// A Nest route that declared nothing is an operator route until someone says otherwise (a test fails meanwhile).
const UNDECLARED: AccessRequirement = { scope: 'admin' };

/** The configured API keys and what each route requires of them. */
@Injectable()
export class ApiKeyAuth implements OnModuleInit {
  private readonly keys: Array<ApiKeyIdentity & { digest: Buffer }>;
  private routes: RouteTable = new Map();
  /** Every route Fastify registered (Nest's and others'), recorded so a test can check each declares its access. */
  readonly registered: Array<{ method: string; url: string }> = [];

  constructor(
    config: ConfigService<AppConfig, true>,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {
    this.keys = config.get('app.apiKeys', { infer: true }).map((k) => ({ name: k.name, scopes: k.scopes, digest: digest(k.key) }));
  }

  onModuleInit() {
    this.routes = buildRouteTable(this.discovery, this.scanner, this.reflector);
  }

  /** Every Nest route and what it declared (null: nothing). */
  routeTable(): ReadonlyMap<string, AccessRequirement | null> {
    return this.routes;
  }

  requirementOf(method: string, url: string | undefined): AccessRequirement | undefined {
    const declared = lookupRoute(this.routes, method, url);
    return declared === null ? UNDECLARED : declared;
  }

  identify(authorization: string | undefined): ApiKeyIdentity | undefined {
    const match = /^Bearer (\S+)$/.exec(authorization ?? '');
    if (!match) return undefined;
    const given = digest(match[1]);
    let found: ApiKeyIdentity | undefined;
    // No early exit: every configured key is compared, whichever matches.
    for (const key of this.keys) if (timingSafeEqual(key.digest, given) && !found) found = { name: key.name, scopes: key.scopes };
    return found;
  }
}

/**
 * Checks the API key and the route's scope in Fastify's onRequest hook: when the headers have arrived
 * and before any byte of the body is read, so an unauthenticated request costs no body read or parse,
 * whatever Content-Length it declares. Failed authentications are counted per client IP (a locked-out
 * IP gets 429 whatever key it sends, so guessing stays blind), requests per API key.
 */
export function registerApiKeyAuth(fastify: FastifyInstance, auth: ApiKeyAuth, limits: RateLimits): void {
  const logger = new Logger('Auth');
  fastify.addHook('onRoute', ({ method, url }) => {
    for (const m of [method].flat()) auth.registered.push({ method: m, url });
  });
  fastify.addHook('onRequest', async (request: AuthenticatedRequest, reply: FastifyReply) => {
    const requirement = auth.requirementOf(request.method, request.routeOptions.url);
    if (!requirement || 'public' in requirement) return;
    try {
      await limits.assertNotLockedOut(request);
      const identity = auth.identify(request.headers.authorization);
      if (!identity) {
        await limits.countFailure(request);
        throw new ProblemException(
          401,
          'unauthorized',
          'Send a valid API key as "Authorization: Bearer <key>".',
          {},
          { 'WWW-Authenticate': 'Bearer' },
        );
      }
      if ('scope' in requirement && !identity.scopes.includes(requirement.scope)) {
        throw new ProblemException(403, 'insufficient_scope', `This route needs an API key with the "${requirement.scope}" scope.`, {
          requiredScope: requirement.scope,
        });
      }
      request.apiKey = identity;
      request.apiKeyName = identity.name;
      await limits.countKeyRequest(request);
    } catch (error) {
      // A refused request's body is never read; without this Node would still read and discard all of it
      // to keep the connection alive (up to HTTP_REQUEST_TIMEOUT_SECONDS of an attacker's 5 MB).
      if (request.headers['content-length'] !== undefined || request.headers['transfer-encoding'] !== undefined)
        void reply.header('connection', 'close');
      sendProblem(error, request, reply, logger);
      return reply;
    }
  });
}
