import { Controller, HttpCode, HttpException, Module, Post, Req } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';
import { verifyStripeSignature } from '../src/webhooks/stripe-signature';

interface NaiveOptions {
  databaseUrl: string;
  secret: string;
  poolSize: number;
}

interface EventBody {
  id: string;
  type: string;
  livemode: boolean;
  api_version: string;
  created: number;
  data: { object: { id: string; status: string; amount_received: number } };
}

/**
 * The design most receivers use, for comparison: a Nest + Fastify route that verifies the signature
 * (the same code as the service) and does one INSERT per request before answering.
 */
export function startNaiveReceiver(options: NaiveOptions): Promise<NestFastifyApplication> {
  return naiveApp(options, (dataSource, event, raw) =>
    // A copy of the inbox table (payload json); each parameter takes its column's type.
    dataSource.query(
      `INSERT INTO naive_webhook_events (id, type, livemode, api_version, stripe_created, object_id, payload, status, source)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 'webhook') ON CONFLICT (id) DO NOTHING`,
      [event.id, event.type, event.livemode, event.api_version, event.created, event.data.object.id, raw.toString('utf8')],
    ),
  );
}

/**
 * The naive synchronous design end to end (#16): verify, then the payment's guarded UPDATE in the request,
 * one commit per event, answered after it. No inbox, no domain event: the cheapest correct apply there is.
 */
export function startNaiveApplier(options: NaiveOptions): Promise<NestFastifyApplication> {
  return naiveApp(options, (dataSource, event) =>
    dataSource.query(
      `UPDATE payments SET status = $2, amount_received = $3, stripe_event_created = $4, updated_at = now()
        WHERE stripe_payment_intent_id = $1 AND status NOT IN ('succeeded', 'canceled')
          AND (stripe_event_created IS NULL OR stripe_event_created <= $4)`,
      [event.data.object.id, event.data.object.status, event.data.object.amount_received, event.created],
    ),
  );
}

/**
 * The floor of every design (#16): the same route verifying the signature and answering, with no database
 * work at all. Whatever a design does with an event, it receives and verifies it first, so its applied
 * events/s can never exceed this route's acknowledged events/s in the same run.
 */
export function startFloorReceiver(options: NaiveOptions): Promise<NestFastifyApplication> {
  return naiveApp(options, () => Promise.resolve());
}

async function naiveApp(
  options: NaiveOptions,
  handle: (dataSource: DataSource, event: EventBody, raw: Buffer) => Promise<unknown>,
): Promise<NestFastifyApplication> {
  const dataSource = new DataSource({ type: 'postgres', url: options.databaseUrl, extra: { max: options.poolSize } });
  await dataSource.initialize();

  @Controller('v1/webhooks')
  class NaiveWebhookController {
    @Post('stripe')
    @HttpCode(200)
    async receive(@Req() req: FastifyRequest & { rawBody?: Buffer }) {
      const failure = verifyStripeSignature(req.headers['stripe-signature'], req.rawBody as Buffer, {
        secrets: [options.secret],
        toleranceSeconds: 300,
      });
      if (failure) throw new HttpException('bad signature', 400);
      await handle(dataSource, req.body as EventBody, req.rawBody as Buffer);
      return { received: true };
    }
  }

  @Module({ controllers: [NaiveWebhookController] })
  class NaiveModule {}

  const app = await NestFactory.create<NestFastifyApplication>(NaiveModule, new FastifyAdapter({ bodyLimit: 5 * 1024 * 1024 }), {
    rawBody: true,
    logger: false,
  });
  app.enableShutdownHooks();
  const close = app.close.bind(app);
  app.close = async () => {
    await close();
    await dataSource.destroy();
  };
  return app;
}
