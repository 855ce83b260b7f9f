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

/**
 * The floor of a design with the guarantees (#16): the bare route above, then every event is stored
 * durably in the inbox, applied once (only an event whose inbox row is new moves its payment, under the same
 * guards as the naive UPDATE) and announced by a domain event in the outbox, all committed before the 200.
 * Concurrent deliveries are group-committed, and each batch is ONE statement (its own transaction): inbox
 * INSERT, payments UPDATE and domain_events INSERT chained as CTEs, one round trip and one commit per batch.
 * The domain event is built by PostgreSQL from the updated row. It keeps no lock-then-decide in node, no
 * same-second refetch, no pending rows for a worker: the least any such design can spend, not a design.
 */
export function startDurableFloor(options: NaiveOptions): Promise<NestFastifyApplication> {
  const STATEMENT = `
    WITH e AS (
      SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[])
               AS e(id, type, created, object_id, status, amount_received, api_version, payload)
    ), ins AS (
      INSERT INTO webhook_events (id, type, livemode, api_version, stripe_created, object_id, payload, status, source, attempts, processed_at)
      SELECT id, type, false, api_version, created, object_id, payload::json, 'processed', 'webhook', 1, now() FROM e
      ON CONFLICT (id) DO NOTHING RETURNING id
    ), upd AS (
      UPDATE payments p SET status = e.status, amount_received = e.amount_received, stripe_event_created = e.created, updated_at = now()
        FROM e JOIN ins USING (id)
       WHERE p.stripe_payment_intent_id = e.object_id AND p.status NOT IN ('succeeded', 'canceled')
         AND (p.stripe_event_created IS NULL OR p.stripe_event_created <= e.created)
      RETURNING p.*
    )
    INSERT INTO domain_events (id, type, object_type, object_id, payload)
    SELECT 'evt_' || md5(upd.id::text || clock_timestamp()), 'payment.' || upd.status, 'payment', upd.id,
           jsonb_build_object('type', 'payment.' || upd.status, 'data', jsonb_build_object('object', to_jsonb(upd)),
                              'previous', jsonb_build_object('status', 'processing'))
      FROM upd`;
  interface Waiter {
    event: EventBody;
    raw: string;
    done: (error?: unknown) => void;
  }
  // One batch in flight: while it commits the next one gathers, so batches are larger. Against 2 and 3 in flight
  // (08:00, 2 rounds x 8 s each) it applied the most events/s at the least PostgreSQL CPU per event.
  let queue: Waiter[] = [];
  let busy = false;
  let scheduled = false;
  const flush = (dataSource: DataSource): void => {
    scheduled = false;
    if (busy || queue.length === 0) return;
    const batch = queue;
    queue = [];
    busy = true;
    const col = <T>(f: (w: Waiter) => T) => batch.map(f);
    void dataSource
      .query(STATEMENT, [
        col((w) => w.event.id),
        col((w) => w.event.type),
        col((w) => w.event.created),
        col((w) => w.event.data.object.id),
        col((w) => w.event.data.object.status),
        col((w) => w.event.data.object.amount_received),
        col((w) => w.event.api_version),
        col((w) => w.raw),
      ])
      .then(
        () => batch.forEach((w) => w.done()),
        (error: unknown) => batch.forEach((w) => w.done(error)),
      )
      .finally(() => {
        busy = false;
        flush(dataSource);
      });
  };
  return naiveApp(
    options,
    (dataSource, event, raw) =>
      new Promise<void>((resolve, reject) => {
        queue.push({ event, raw: raw.toString('utf8'), done: (error) => (error ? reject(error) : resolve()) });
        if (!scheduled) {
          scheduled = true;
          setImmediate(() => flush(dataSource));
        }
      }),
  );
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
