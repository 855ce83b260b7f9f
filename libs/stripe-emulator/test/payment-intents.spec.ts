import Stripe from 'stripe';
import { eventTypes, useEmulator } from './helpers';

const h = useEmulator();

describe('PaymentIntents', () => {
  beforeEach(() => h.reset());

  it('charges pm_card_visa and records the charge and events', async () => {
    const customer = await h.stripe.customers.create({ email: 'a@example.com' });
    const pi = await h.stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      customer: customer.id,
      payment_method: 'pm_card_visa',
      confirm: true,
      metadata: { order: '42' },
      expand: ['latest_charge'],
    });
    expect(pi).toMatchObject({
      object: 'payment_intent',
      status: 'succeeded',
      amount_received: 2000,
      amount_capturable: 0,
      livemode: false,
      metadata: { order: '42' },
    });
    expect(pi.id).toMatch(/^pi_/);
    expect(pi.client_secret).toMatch(new RegExp(`^${pi.id}_secret_`));
    const charge = pi.latest_charge as Stripe.Charge;
    expect(charge).toMatchObject({
      object: 'charge',
      amount: 2000,
      amount_captured: 2000,
      amount_refunded: 0,
      captured: true,
      paid: true,
      refunded: false,
      status: 'succeeded',
      payment_intent: pi.id,
    });
    expect(charge.payment_method_details?.card?.last4).toBe('4242');
    expect(await eventTypes(h.stripe, { type: 'payment_intent.*' })).toEqual([
      'payment_intent.created',
      'payment_intent.succeeded',
    ]);
    expect(await eventTypes(h.stripe, { type: 'charge.succeeded' })).toEqual(['charge.succeeded']);
    const charges = await h.stripe.charges.list({ payment_intent: pi.id });
    expect(charges.data.map((c) => c.id)).toEqual([charge.id]);
  });

  it('confirms in two steps with a mastercard', async () => {
    const created = await h.stripe.paymentIntents.create({
      amount: 1500,
      currency: 'eur',
      automatic_payment_methods: { enabled: true },
    });
    expect(created.status).toBe('requires_payment_method');
    expect(created.automatic_payment_methods).toEqual({ allow_redirects: 'always', enabled: true });
    const confirmed = await h.stripe.paymentIntents.confirm(created.id, {
      payment_method: 'pm_card_mastercard',
      return_url: 'https://shop.test/done',
    });
    expect(confirmed.status).toBe('succeeded');
    const pm = await h.stripe.paymentMethods.retrieve(confirmed.payment_method as string);
    expect(pm.card).toMatchObject({ brand: 'mastercard', last4: '4444' });
  });

  const declines: [string, string, string][] = [
    ['pm_card_visa_chargeDeclined', 'card_declined', 'generic_decline'],
    ['pm_card_chargeDeclined', 'card_declined', 'generic_decline'],
    ['pm_card_visa_chargeDeclinedInsufficientFunds', 'card_declined', 'insufficient_funds'],
    ['pm_card_chargeDeclinedInsufficientFunds', 'card_declined', 'insufficient_funds'],
    ['pm_card_visa_chargeDeclinedLostCard', 'card_declined', 'lost_card'],
    ['pm_card_visa_chargeDeclinedStolenCard', 'card_declined', 'stolen_card'],
    ['pm_card_visa_chargeDeclinedExpiredCard', 'expired_card', 'expired_card'],
    ['pm_card_chargeDeclinedExpiredCard', 'expired_card', 'expired_card'],
    ['pm_card_visa_chargeDeclinedIncorrectCvc', 'incorrect_cvc', 'incorrect_cvc'],
    ['pm_card_visa_chargeDeclinedProcessingError', 'processing_error', 'processing_error'],
    ['pm_card_chargeDeclinedFraudulent', 'card_declined', 'fraudulent'],
    ['pm_card_radarBlock', 'card_declined', 'fraudulent'],
  ];
  it.each(declines)('%s answers 402 %s / %s and leaves the intent retryable', async (pm, code, declineCode) => {
    const pi = await h.stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    const err = await h.stripe.paymentIntents.confirm(pi.id, { payment_method: pm }).catch((e) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(err.statusCode).toBe(402);
    expect(err.code).toBe(code);
    expect(err.decline_code).toBe(declineCode);
    expect(err.payment_intent).toMatchObject({ id: pi.id, status: 'requires_payment_method' });
    const after = await h.stripe.paymentIntents.retrieve(pi.id, { expand: ['latest_charge'] });
    expect(after.status).toBe('requires_payment_method');
    expect(after.last_payment_error).toMatchObject({ type: 'card_error', code, decline_code: declineCode });
    expect(after.latest_charge).toMatchObject({ status: 'failed', paid: false, failure_code: code });
    expect(await eventTypes(h.stripe, { types: ['payment_intent.payment_failed', 'charge.failed'] })).toEqual([
      'charge.failed',
      'payment_intent.payment_failed',
    ]);
    const retried = await h.stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' });
    expect(retried.status).toBe('succeeded');
  });

  it('3-D Secure success then failure through the emulated challenge page', async () => {
    const pi = await h.stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method: 'pm_card_authenticationRequired',
      confirm: true,
      return_url: 'https://shop.test/return',
    });
    expect(pi.status).toBe('requires_action');
    expect(pi.next_action?.type).toBe('redirect_to_url');
    expect(pi.next_action?.redirect_to_url?.return_url).toBe('https://shop.test/return');
    const url = pi.next_action!.redirect_to_url!.url!;
    expect(url).toBe(`${h.emulator.url}/_emulator/3ds/${pi.id}`);
    const page = await fetch(`${url}?result=success`, { redirect: 'manual' });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe(
      `https://shop.test/return?payment_intent=${pi.id}&payment_intent_client_secret=${encodeURIComponent(pi.client_secret!)}&redirect_status=succeeded`,
    );
    expect((await h.stripe.paymentIntents.retrieve(pi.id)).status).toBe('succeeded');

    const manual = await h.stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      capture_method: 'manual',
      payment_method: 'pm_card_threeDSecure2Required',
      confirm: true,
    });
    expect(manual.status).toBe('requires_action');
    const html = await fetch(`${manual.next_action!.redirect_to_url!.url}?result=success`);
    expect(await html.text()).toContain('requires_capture');
    expect((await h.stripe.paymentIntents.retrieve(manual.id)).status).toBe('requires_capture');

    const failing = await h.stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method: 'pm_card_authenticationRequired',
      confirm: true,
    });
    await fetch(`${failing.next_action!.redirect_to_url!.url}?result=failure`);
    const failed = await h.stripe.paymentIntents.retrieve(failing.id);
    expect(failed.status).toBe('requires_payment_method');
    expect(failed.last_payment_error?.code).toBe('payment_intent_authentication_failure');
    expect(await eventTypes(h.stripe, { type: 'payment_intent.requires_action' })).toHaveLength(3);
  });

  it('declines authentication-required cards off session', async () => {
    const customer = await h.stripe.customers.create({ payment_method: 'pm_card_authenticationRequired' });
    const [pm] = (await h.stripe.paymentMethods.list({ customer: customer.id, type: 'card' })).data;
    const err = await h.stripe.paymentIntents
      .create({
        amount: 1000,
        currency: 'usd',
        customer: customer.id,
        payment_method: pm.id,
        off_session: true,
        confirm: true,
      })
      .catch((e) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(err.code).toBe('authentication_required');
  });

  it('captures manually, fully or partially, and only from requires_capture', async () => {
    const pi = await h.stripe.paymentIntents.create({
      amount: 5000,
      currency: 'usd',
      capture_method: 'manual',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    expect(pi).toMatchObject({ status: 'requires_capture', amount_capturable: 5000, amount_received: 0 });
    const tooMuch = await h.stripe.paymentIntents.capture(pi.id, { amount_to_capture: 6000 }).catch((e) => e);
    expect(tooMuch).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(tooMuch.code).toBe('amount_too_large');
    const captured = await h.stripe.paymentIntents.capture(pi.id, {
      amount_to_capture: 3000,
      expand: ['latest_charge'],
    });
    expect(captured).toMatchObject({ status: 'succeeded', amount_received: 3000, amount_capturable: 0 });
    expect(captured.latest_charge).toMatchObject({ captured: true, amount: 5000, amount_captured: 3000 });
    const again = await h.stripe.paymentIntents.capture(pi.id).catch((e) => e);
    expect(again.code).toBe('payment_intent_unexpected_state');
    expect(await eventTypes(h.stripe, { type: 'payment_intent.*' })).toEqual([
      'payment_intent.created',
      'payment_intent.amount_capturable_updated',
      'payment_intent.succeeded',
    ]);
    const full = await h.stripe.paymentIntents.create({
      amount: 700,
      currency: 'usd',
      capture_method: 'manual',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    expect((await h.stripe.paymentIntents.capture(full.id)).amount_received).toBe(700);
  });

  it('cancels only from cancelable states', async () => {
    const open = await h.stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    const canceled = await h.stripe.paymentIntents.cancel(open.id, { cancellation_reason: 'requested_by_customer' });
    expect(canceled).toMatchObject({ status: 'canceled', cancellation_reason: 'requested_by_customer' });
    const twice = await h.stripe.paymentIntents.cancel(open.id).catch((e) => e);
    expect(twice.code).toBe('payment_intent_unexpected_state');
    const held = await h.stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      capture_method: 'manual',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    expect((await h.stripe.paymentIntents.cancel(held.id)).amount_capturable).toBe(0);
    const paid = await h.stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    const err = await h.stripe.paymentIntents.cancel(paid.id).catch((e) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err.code).toBe('payment_intent_unexpected_state');
    expect(await eventTypes(h.stripe, { type: 'payment_intent.canceled' })).toHaveLength(2);
  });

  it('validates amounts and currencies as Stripe', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ amount: 0, currency: 'usd' }, 'amount_too_small', 'amount'],
      [{ amount: 49, currency: 'usd' }, 'amount_too_small', 'amount'],
      [{ amount: 29, currency: 'gbp' }, 'amount_too_small', 'amount'],
      [{ amount: 100_000_000, currency: 'usd' }, 'amount_too_large', 'amount'],
      [{ amount: 'abc', currency: 'usd' }, 'parameter_invalid_integer', 'amount'],
      [{ amount: 1000, currency: 'xyz' }, 'parameter_invalid_string', 'currency'],
      [{ currency: 'usd' }, 'parameter_missing', 'amount'],
    ];
    for (const [params, code, param] of cases) {
      const err = await h.stripe.paymentIntents.create(params as any).catch((e) => e);
      expect([err.statusCode, err.code, err.param]).toEqual([400, code, param]);
    }
    const yen = await h.stripe.paymentIntents.create({
      amount: 500,
      currency: 'jpy',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    expect(yen).toMatchObject({ amount: 500, amount_received: 500, currency: 'jpy' });
  });

  it('answers 404 for unknown intents and payment methods', async () => {
    const err = await h.stripe.paymentIntents.retrieve('pi_missing').catch((e) => e);
    expect([err.statusCode, err.code, err.message]).toEqual([
      404,
      'resource_missing',
      "No such payment_intent: 'pi_missing'",
    ]);
    const pmErr = await h.stripe.paymentIntents
      .create({ amount: 1000, currency: 'usd', payment_method: 'pm_nope' })
      .catch((e) => e);
    expect([pmErr.statusCode, pmErr.code, pmErr.param]).toEqual([404, 'resource_missing', 'payment_method']);
  });
});
