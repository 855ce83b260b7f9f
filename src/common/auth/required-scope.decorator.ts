import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension, ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ProblemResponseDto } from '../http/problem-response.dto';
import type { Scope } from './scopes';

/** What a route needs from its caller: a scope, any valid API key, or nothing (`@Public()`). */
export type AccessRequirement = { scope: Scope } | { anyKey: true } | { public: true };

export const ACCESS_REQUIREMENT = Symbol('accessRequirement');

/** Records a route's requirement (read by the onRequest authentication) and documents it in Swagger. */
export function declareAccess(requirement: AccessRequirement, forbidden?: string): ClassDecorator & MethodDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_REQUIREMENT, requirement),
    ...('public' in requirement
      ? []
      : [
          ApiBearerAuth(),
          ApiExtraModels(ProblemResponseDto),
          ...(forbidden
            ? [
                ApiExtension('x-required-scope', (requirement as { scope: Scope }).scope),
                ApiResponse({
                  status: 403,
                  description: forbidden,
                  content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemResponseDto) } } },
                }),
              ]
            : []),
        ]),
  );
}

/**
 * The API-key scope a route (or every route of a controller) needs. Checked as soon as the request's
 * headers arrive, before its body is read (see api-key-auth.ts); a key without it gets 403
 * `insufficient_scope`. Every route declares one of RequiredScope, AnyApiKey or Public: a test fails otherwise.
 */
export const RequiredScope = (scope: Scope) =>
  declareAccess({ scope }, `The API key lacks the \`${scope}\` scope (code \`insufficient_scope\`)`);

/** Any valid API key, whatever its scopes (GET /v1/me). */
export const AnyApiKey = () => declareAccess({ anyKey: true });
