import { Controller, HttpCode, Inject, Post, Req, UseGuards } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../common/auth/public.decorator';
import { ProblemException } from '../common/errors/problem';
import { JsonBodyRouteConfig } from '../common/http/json-body';
import { RequestContextRouteConfig } from '../common/logging/request-context';
import { isStripeEvent } from './stripe-event';
import { StripeSignatureGuard } from './stripe-signature.guard';
import { WEBHOOK_STRIPE_CONTEXT, WebhookStripeContext } from './webhook-context';
import { toInboxRow, WebhookInboxWriter } from './webhook-inbox.writer';

const WEBHOOK_BODY_LIMIT = 5 * 1024 * 1024;

/**
 * Stripe's delivery endpoint: verify, store, answer. Payment-intent events are applied in the storing
 * transaction where that needs neither Stripe nor another request's row (WEBHOOK_APPLY_ON_RECEIPT); every
 * other handler runs later in the worker, so a slow or failing handler never makes Stripe retry.
 */
@ApiTags('webhooks')
@Public()
@Controller('v1/webhooks')
export class StripeWebhookController {
  constructor(
    private readonly inbox: WebhookInboxWriter,
    @Inject(WEBHOOK_STRIPE_CONTEXT) private readonly stripe: WebhookStripeContext,
  ) {}

  @Post('stripe')
  @HttpCode(200)
  @UseGuards(StripeSignatureGuard)
  // Nothing logged here belongs to one delivery (the inbox logs per batch; refusals are answered, not
  // logged), and a request context costs this hot route a third of its CPU on Node 20 (see request-context.ts).
  // Unauthenticated bytes are never parsed: the guard checks the signature over the raw body first.
  // Big Stripe events (invoices with many lines) exceed the 1 MiB of the rest of /v1.
  @RouteConfig({ requestContext: false, parseJson: false, bodyLimit: WEBHOOK_BODY_LIMIT } satisfies RequestContextRouteConfig &
    JsonBodyRouteConfig)
  @ApiOperation({
    summary:
      'Stripe delivers events here (authenticated by Stripe-Signature, not an API key): stored (payment-intent events applied in the same transaction), answered 200; the rest processed asynchronously',
  })
  @ApiHeader({ name: 'Stripe-Signature', required: true, description: 't=<unix>,v1=<hex HMAC-SHA256 of "t.rawBody">' })
  async receive(@Req() request: FastifyRequest & { rawBody?: Buffer }): Promise<{ received: true }> {
    // Parsed only now that the signature over these bytes is known to be Stripe's.
    const payload = (request.rawBody as Buffer).toString('utf8');
    const event = parseJson(payload);
    if (!isStripeEvent(event)) throw new ProblemException(400, 'not_a_stripe_event', 'The signed body is not a Stripe event.');
    await this.inbox.write(toInboxRow(event, payload, this.stripe.livemode, 'webhook'), event);
    return { received: true };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
