import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/configuration';
import { RateLimits } from '../common/auth/rate-limits';
import { ProblemException } from '../common/errors/problem';
import { verifyStripeSignature } from './stripe-signature';
import { WEBHOOK_STRIPE_CONTEXT, WebhookStripeContext } from './webhook-context';
import { webhookEventsReceived } from './webhook-metrics';

/** Lets through only requests whose raw bytes carry a valid Stripe v1 signature under one of our secrets. */
@Injectable()
export class StripeSignatureGuard implements CanActivate {
  private readonly toleranceSeconds: number;

  constructor(
    @Inject(WEBHOOK_STRIPE_CONTEXT) private readonly stripe: WebhookStripeContext,
    config: ConfigService<AppConfig, true>,
    private readonly limits: RateLimits,
  ) {
    this.toleranceSeconds = config.get('webhooks.toleranceSeconds', { infer: true });
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest & { rawBody?: Buffer }>();
    // Signature failures count against the client IP like failed API-key authentications.
    await this.limits.assertNotLockedOut(request);
    const rawBody = request.rawBody;
    const failure = rawBody
      ? verifyStripeSignature(request.headers['stripe-signature'], rawBody, {
          secrets: this.stripe.webhookSecrets,
          toleranceSeconds: this.toleranceSeconds,
        })
      : 'missing_body';
    if (failure) {
      await this.limits.countFailure(request);
      webhookEventsReceived.inc({ result: 'invalid_signature' });
      // One code for every failure: the caller learns nothing about which check it passed.
      throw new ProblemException(
        400,
        'invalid_signature',
        'The Stripe-Signature header is missing, malformed, outside the tolerance or does not match.',
        {
          reason: failure === 'missing_header' || failure === 'malformed_header' ? failure : undefined,
        },
      );
    }
    return true;
  }
}
