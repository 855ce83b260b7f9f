import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { AuthenticatedRequest } from './api-key-auth';

/** The name of the API key that authenticated this request (from API_KEYS). */
export const ApiKeyName = createParamDecorator(
  (_: unknown, ctx: ExecutionContext) => ctx.switchToHttp().getRequest<AuthenticatedRequest>().apiKeyName,
);

/** The API key that authenticated this request: its name and scopes. */
export const CurrentApiKey = createParamDecorator(
  (_: unknown, ctx: ExecutionContext) => ctx.switchToHttp().getRequest<AuthenticatedRequest>().apiKey,
);
