import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '../../config/configuration';
import { ProblemException } from '../errors/problem';
import { IS_PUBLIC } from './public.decorator';

export interface AuthenticatedRequest extends FastifyRequest {
  apiKeyName?: string;
}

// Hashing first gives equal-length inputs, so the comparison time says nothing about the key's length.
const digest = (value: string) => createHash('sha256').update(value).digest();

@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: Array<{ name: string; digest: Buffer }>;

  constructor(
    private readonly reflector: Reflector,
    config: ConfigService<AppConfig, true>,
  ) {
    this.keys = config.get('app.apiKeys', { infer: true }).map((k) => ({ name: k.name, digest: digest(k.key) }));
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const match = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '');
    const name = match ? this.find(match[1]) : undefined;
    if (!name) {
      throw new ProblemException(401, 'unauthorized', 'Send a valid API key as "Authorization: Bearer <key>".', {}, { 'WWW-Authenticate': 'Bearer' });
    }
    request.apiKeyName = name;
    return true;
  }

  private find(candidate: string): string | undefined {
    const given = digest(candidate);
    let found: string | undefined;
    // No early exit: every configured key is compared, whichever matches.
    for (const key of this.keys) if (timingSafeEqual(key.digest, given) && !found) found = key.name;
    return found;
  }
}
