import { randomUUID } from 'node:crypto';
import { Body, Controller, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import Stripe from 'stripe';
import { DataSource } from 'typeorm';

/** The SDK against the emulator at `url`, configured as the service configures its client. */
export function emulatorStripe(url: string): Stripe {
  const emulator = new URL(url);
  return new Stripe('sk_test_emulator', {
    host: emulator.hostname,
    port: Number(emulator.port),
    protocol: 'http',
    maxNetworkRetries: 2,
    timeout: 20000,
    telemetry: false,
  });
}

/**
 * The floor of POST /v1/payments (#16's "service CPU per create at most 0.5 ms"): a bare Nest + Fastify route
 * that makes the one Stripe call a create needs (the official SDK, over HTTP, to the same emulator) and writes
 * the row in one INSERT, then answers 201. No API key, validation, idempotency record, tracing, metrics or
 * problem mapping, and the row only after the charge: less than any create that keeps "nothing is charged
 * without a local record". Its CPU per create is the least any create through this stack can cost here.
 */
export async function startPaymentsFloor(databaseUrl: string, emulatorUrl: string): Promise<NestFastifyApplication> {
  const dataSource = new DataSource({ type: 'postgres', url: databaseUrl, extra: { max: 10 } });
  await dataSource.initialize();
  const stripe = emulatorStripe(emulatorUrl);

  @Controller('v1/payments')
  class FloorPaymentsController {
    @Post()
    @HttpCode(201)
    async create(@Body() body: { amount: number; currency: string; description?: string }) {
      const id = randomUUID();
      const intent = await stripe.paymentIntents.create(
        {
          amount: body.amount,
          currency: body.currency,
          description: body.description,
          automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
          metadata: { payments_service_id: id },
        },
        { idempotencyKey: `payments.create:${id}` },
      );
      await dataSource.query(
        `INSERT INTO payments (id, stripe_payment_intent_id, amount, currency, status, capture_method, client_secret, description)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [id, intent.id, intent.amount, intent.currency, intent.status, intent.capture_method, intent.client_secret, intent.description],
      );
      return { id, status: intent.status, amount: intent.amount, currency: intent.currency, clientSecret: intent.client_secret };
    }
  }

  @Module({ controllers: [FloorPaymentsController] })
  class FloorModule {}

  const app = await NestFactory.create<NestFastifyApplication>(FloorModule, new FastifyAdapter(), { logger: false });
  const close = app.close.bind(app);
  app.close = async () => {
    await close();
    await dataSource.destroy();
  };
  return app;
}
