import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { recordDomainEvents } from '../src/events/domain-event';
import { bootApp, TestApp } from './utils/app';
import { query } from './utils/database';
import { privateNats, PrivateNats } from './utils/nats';
import { startReceiver } from './utils/receiver';
import { until } from './utils/wait';

const emitWith =
  (t: TestApp) =>
  async (type: string, objectId = randomUUID()) =>
    (
      await t.app
        .get(DataSource)
        .transaction((m) =>
          recordDomainEvents(m, [{ type, objectType: type.split('.')[0], objectId, object: { id: objectId, status: 'x' } }]),
        )
    )[0];

const natsCursor = async (t: TestApp) =>
  BigInt((await query<{ position: string }>(t.db.url, `SELECT position FROM outbox_cursors WHERE name = 'nats'`))[0].position);
const seqOf = async (t: TestApp, id: string) =>
  BigInt((await query<{ seq: string }>(t.db.url, `SELECT seq FROM domain_events WHERE id = $1`, [id]))[0].seq);

describe('NATS JetStream on the machine server (127.0.0.1:4222)', () => {
  let t: TestApp;
  let nc: NatsConnection;
  beforeAll(async () => {
    t = await bootApp({ env: { NATS_URL: 'nats://127.0.0.1:4222', RECONCILE_INTERVAL_SECONDS: '0', LOG_LEVEL: 'error' } });
    nc = await connect({ servers: 'nats://127.0.0.1:4222' });
  });
  afterAll(async () => {
    await nc?.close();
    await t?.close();
  });

  it('a durable consumer receives payments.payment.succeeded with Nats-Msg-Id = the event id', async () => {
    const emit = emitWith(t);
    await until(
      'the stream PAYMENTS',
      () =>
        jetstreamManager(nc).then((m) =>
          m.streams.info('PAYMENTS').then(
            () => true,
            () => false,
          ),
        ),
      Boolean,
    );
    const jsm = await jetstreamManager(nc);
    const durable = `test-${randomUUID()}`;
    await jsm.consumers.add('PAYMENTS', {
      durable_name: durable,
      filter_subject: 'payments.payment.succeeded',
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
    });
    try {
      const event = await emit('payment.succeeded');
      const consumer = await jetstream(nc).consumers.get('PAYMENTS', durable);
      let found;
      for (let i = 0; i < 20 && !found; i++) {
        const msg = await consumer.next({ expires: 2000 });
        if (!msg) continue;
        msg.ack();
        if (msg.headers?.get('Nats-Msg-Id') === event.id) found = msg;
      }
      expect(found).toBeTruthy();
      expect(found!.subject).toBe('payments.payment.succeeded');
      expect(found!.json()).toEqual(event);
    } finally {
      await jsm.consumers.delete('PAYMENTS', durable);
    }
  });
});

describe('NATS JetStream on a private server that goes away', () => {
  let t: TestApp;
  let nats: PrivateNats;
  let nc: NatsConnection;
  beforeAll(async () => {
    nats = await privateNats();
    t = await bootApp({ env: { NATS_URL: nats.url, RECONCILE_INTERVAL_SECONDS: '0', LOG_LEVEL: 'error' } });
    nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  });
  afterAll(async () => {
    await nc?.close();
    await t?.close();
    await nats?.destroy();
  });

  const messages = async () => {
    const info = await (await jetstreamManager(nc)).streams.info('PAYMENTS');
    return info.state.messages;
  };
  const published = (id: string) =>
    until('the event published', async () => (await natsCursor(t)) >= (await seqOf(t, id)), Boolean, 20_000);

  it('publishing the same event twice (a crash between publish and mark) leaves one message', async () => {
    const emit = emitWith(t);
    const event = await emit('customer.created');
    await published(event.id);
    expect(await messages()).toBe(1);
    // The mark lost: the cursor back before the event, as if the process died right after publishing.
    await query(t.db.url, `UPDATE outbox_cursors SET position = $1 WHERE name = 'nats'`, [String((await seqOf(t, event.id)) - 1n)]);
    const next = await emit('customer.updated');
    await published(next.id);
    expect(await messages()).toBe(2);
    const stored = (await (await jetstreamManager(nc)).streams.getMessage('PAYMENTS', { seq: 1 }))!;
    expect(stored.header.get('Nats-Msg-Id')).toBe(event.id);
  });

  it('NATS down: the API and webhooks go on; the events arrive once NATS is back, in order', async () => {
    const emit = emitWith(t);
    const receiver = await startReceiver();
    try {
      const before = await messages();
      const endpoint = await t.request({
        method: 'POST',
        url: '/v1/notification-endpoints',
        payload: { url: receiver.url, events: ['*'] },
      });
      expect(endpoint.statusCode).toBe(201);
      await nats.stop();

      const objectId = randomUUID();
      const first = await emit('payment.created', objectId);
      const second = await emit('payment.succeeded', objectId);
      const started = Date.now();
      const feed = await t.request({ url: '/v1/events', query: { objectId } });
      expect(feed.statusCode).toBe(200);
      expect((await t.request({ url: '/health/ready' })).statusCode).toBe(200);
      expect(Date.now() - started).toBeLessThan(5000);
      await until(
        'webhooks delivered while NATS is down',
        async () => receiver.received.length,
        (n) => n >= 2,
      );
      expect(await natsCursor(t)).toBeLessThan(await seqOf(t, first.id));

      await nats.start();
      await published(second.id);
      expect(await messages()).toBe(before + 2);
      const jsm = await jetstreamManager(nc);
      const last = (await jsm.streams.getMessage('PAYMENTS', { last_by_subj: 'payments.payment.succeeded' }))!;
      const prev = (await jsm.streams.getMessage('PAYMENTS', { last_by_subj: 'payments.payment.created' }))!;
      expect(last.header.get('Nats-Msg-Id')).toBe(second.id);
      expect(prev.header.get('Nats-Msg-Id')).toBe(first.id);
      expect(prev.seq).toBeLessThan(last.seq);
    } finally {
      await receiver.close();
    }
  });
});
