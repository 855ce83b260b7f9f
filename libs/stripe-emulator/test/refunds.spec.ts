import Stripe from 'stripe';
import { eventTypes, useEmulator, waitFor } from './helpers';

const h = useEmulator({ asyncDelayMs: 50 });

async function paid(pm = 'pm_card_visa', amount = 1000): Promise<Stripe.PaymentIntent> {
  return h.stripe.paymentIntents.create({ amount, currency: 'usd', payment_method: pm, confirm: true });
}

describe('Refunds', () => {
  beforeEach(() => h.reset());

  it('refunds partially until the amount is used up, then refuses', async () => {
    const pi = await paid();
    const first = await h.stripe.refunds.create({
      payment_intent: pi.id,
      amount: 300,
      reason: 'requested_by_customer',
      metadata: { ticket: '7' },
    });
    expect(first).toMatchObject({
      object: 'refund',
      amount: 300,
      status: 'succeeded',
      payment_intent: pi.id,
      reason: 'requested_by_customer',
      metadata: { ticket: '7' },
    });
    expect(first.id).toMatch(/^re_/);
    let charge = await h.stripe.charges.retrieve(pi.latest_charge as string);
    expect([charge.amount_refunded, charge.refunded]).toEqual([300, false]);

    const tooMuch = await h.stripe.refunds.create({ payment_intent: pi.id, amount: 800 }).catch((e) => e);
    expect(tooMuch).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(tooMuch.code).toBe('amount_too_large');
    expect(tooMuch.message).toBe('Refund amount ($8.00) is greater than unrefunded amount on charge ($7.00)');

    const rest = await h.stripe.refunds.create({ charge: charge.id });
    expect(rest.amount).toBe(700);
    charge = await h.stripe.charges.retrieve(charge.id);
    expect([charge.amount_refunded, charge.refunded]).toEqual([1000, true]);
    const more = await h.stripe.refunds.create({ payment_intent: pi.id }).catch((e) => e);
    expect(more.code).toBe('charge_already_refunded');

    expect(await eventTypes(h.stripe, { type: 'charge.refunded' })).toHaveLength(2);
    expect(await eventTypes(h.stripe, { type: 'refund.created' })).toHaveLength(2);
    const listed = await h.stripe.refunds.list({ payment_intent: pi.id });
    expect(listed.data.map((r) => r.id)).toEqual([rest.id, first.id]);
    const updated = await h.stripe.refunds.update(first.id, { metadata: { ticket: '', note: 'x' } });
    expect(updated.metadata).toEqual({ note: 'x' });
  });

  it('refuses to refund an intent that has not succeeded', async () => {
    const pi = await h.stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    const err = await h.stripe.refunds.create({ payment_intent: pi.id }).catch((e) => e);
    expect(err.statusCode).toBe(400);
    expect(err.type).toBe('StripeInvalidRequestError');
  });

  it('pm_card_refundFail: refund pending, then failed and the charge amount comes back', async () => {
    const pi = await paid('pm_card_refundFail');
    const refund = await h.stripe.refunds.create({ payment_intent: pi.id });
    expect(refund.status).toBe('pending');
    expect((await h.stripe.charges.retrieve(pi.latest_charge as string)).amount_refunded).toBe(1000);
    const failed = await waitFor(async () => {
      const r = await h.stripe.refunds.retrieve(refund.id);
      return r.status === 'failed' && r;
    });
    expect(failed.failure_reason).toBe('expired_or_canceled_card');
    const charge = await h.stripe.charges.retrieve(pi.latest_charge as string);
    expect([charge.amount_refunded, charge.refunded]).toEqual([0, false]);
    expect(await eventTypes(h.stripe, { types: ['refund.*', 'charge.refund.updated'] })).toEqual([
      'refund.created',
      'refund.updated',
      'refund.failed',
      'charge.refund.updated',
    ]);
  });

  it('pm_card_pendingRefund: pending, then succeeded; settle forces it at once', async () => {
    await h.control('POST', '/reset');
    const pi = await paid('pm_card_pendingRefund');
    const refund = await h.stripe.refunds.create({ payment_intent: pi.id, amount: 400 });
    expect(refund.status).toBe('pending');
    const settled = await h.control('POST', `/refunds/${refund.id}/settle`);
    expect(settled).toMatchObject({ status: 200, body: { id: refund.id, status: 'succeeded' } });
    expect((await h.stripe.refunds.retrieve(refund.id)).status).toBe('succeeded');
    const updated = (await h.stripe.events.list({ type: 'refund.updated' })).data[0];
    expect(updated.data.previous_attributes).toEqual({ status: 'pending' });
    await new Promise((r) => setTimeout(r, 100));
    expect(await eventTypes(h.stripe, { type: 'refund.updated' })).toHaveLength(1);
  });
});
