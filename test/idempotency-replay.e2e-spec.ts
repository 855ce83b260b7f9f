import { randomUUID } from 'node:crypto';
import { bootApp, TestApp } from './utils/app';
import { PaymentsService } from '../src/payments/payments.service';
import { createCustomer } from './payments-helpers';
import { query } from './utils/database';

describe('Idempotency-Key replays are the exact bytes first sent (#10)', () => {
  let t: TestApp;
  let customerId: string;
  beforeAll(async () => {
    t = await bootApp();
    customerId = await createCustomer(t, 'replay@example.com');
  });
  afterAll(() => t.close());

  const twice = async (url: string, payload: object) => {
    const headers = { 'idempotency-key': randomUUID() };
    const first = await t.request({ method: 'POST', url, payload, headers });
    const again = await t.request({ method: 'POST', url, payload, headers });
    return { first, again };
  };
  const expectSameBytes = ({ first, again }: Awaited<ReturnType<typeof twice>>, status: number) => {
    expect(first.statusCode).toBe(status);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect({ status: again.statusCode, type: again.headers['content-type'], body: again.body }).toEqual({
      status: first.statusCode,
      type: first.headers['content-type'],
      body: first.body,
    });
  };

  it('customers, payments, refunds and captures: same status, content type and bytes', async () => {
    expectSameBytes(await twice('/v1/customers', { email: 'bytes@example.com', name: 'Ada', metadata: { z: '1', a: '2' } }), 201);

    const payment = await twice('/v1/payments', {
      amount: 2500,
      currency: 'usd',
      customerId,
      paymentMethod: 'pm_card_visa',
      confirm: true,
      description: 'Order ü 🙂',
      metadata: { zeta: '1', alpha: '2' },
    });
    expectSameBytes(payment, 201);
    const paymentId = payment.first.json().id as string;
    expectSameBytes(await twice('/v1/refunds', { paymentId, amount: 500 }), 201);

    const manual = await twice('/v1/payments', {
      amount: 1800,
      currency: 'usd',
      paymentMethod: 'pm_card_visa',
      confirm: true,
      captureMethod: 'manual',
    });
    expectSameBytes(manual, 201);
    expectSameBytes(await twice(`/v1/payments/${manual.first.json().id}/capture`, { amount: 1000 }), 200);
  });

  it('a webhook applied between our write and our answer does not make the first answer differ from its replay', async () => {
    const manual = (
      await t.request({
        method: 'POST',
        url: '/v1/payments',
        payload: { amount: 1800, currency: 'usd', paymentMethod: 'pm_card_visa', confirm: true, captureMethod: 'manual' },
      })
    ).json();
    // The barrier: once capture's own write has committed, any later read of the payment first sees another
    // writer's change (as a webhook applied in that gap would make).
    const service = t.app.get(PaymentsService);
    const original = service.get.bind(service);
    let reads = 0;
    const spy = jest.spyOn(service, 'get').mockImplementation(async (id: string) => {
      if (++reads > 1)
        await query(t.db.url, `UPDATE payments SET description = 'changed meanwhile', updated_at = now() WHERE id = $1`, [id]);
      return original(id);
    });
    try {
      const captured = await twice(`/v1/payments/${manual.id}/capture`, {});
      expectSameBytes(captured, 200);
      expect(captured.first.json()).toMatchObject({ status: 'succeeded', description: null });
    } finally {
      spy.mockRestore();
    }
  });

  it('a definitive problem (402 decline) replays byte for byte, its first requestId included', async () => {
    const declined = await twice('/v1/payments', {
      amount: 1200,
      currency: 'usd',
      paymentMethod: 'pm_card_visa_chargeDeclined',
      confirm: true,
    });
    expectSameBytes(declined, 402);
    expect(declined.again.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});
