import Stripe from 'stripe';
import { eventTypes, useEmulator } from './helpers';

const h = useEmulator();
const PK = 'pk_test_emulator';
const nextYear = String(new Date().getUTCFullYear() + 1);

/** Calls the emulator as Stripe.js does from a browser: form body, publishable key as `key`. */
async function browser(path: string, form: Record<string, string> = {}, method = 'POST') {
  const body = new URLSearchParams({ key: PK, ...form });
  const res =
    method === 'GET'
      ? await fetch(`${h.emulator.url}${path}?${body}`)
      : await fetch(`${h.emulator.url}${path}`, {
          method,
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://shop.example' },
          body,
        });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

const cardForm = (number: string, expYear = nextYear, expMonth = '12') => ({
  type: 'card',
  'card[number]': number,
  'card[exp_month]': expMonth,
  'card[exp_year]': expYear,
  'card[cvc]': '123',
});

async function cardPm(number: string): Promise<string> {
  const res = await browser('/v1/payment_methods', cardForm(number));
  expect(res.status).toBe(200);
  return res.body.id;
}

async function payInBrowser(number: string, extra: Partial<Stripe.PaymentIntentCreateParams> = {}) {
  const pi = await h.stripe.paymentIntents.create({ amount: 2000, currency: 'usd', ...extra });
  const pm = await cardPm(number);
  const res = await browser(`/v1/payment_intents/${pi.id}/confirm`, {
    client_secret: pi.client_secret!,
    payment_method: pm,
    return_url: 'https://shop.example/done',
  });
  return { pi, pm, res };
}

describe('the client side (what Stripe.js calls with a publishable key)', () => {
  beforeEach(() => h.reset());

  it('refuses raw card numbers from a secret key, as Stripe refuses them from servers', async () => {
    const err = await h.stripe.paymentMethods
      .create({ type: 'card', card: { number: '4242424242424242', exp_month: 12, exp_year: 2040, cvc: '123' } })
      .catch((e: Stripe.errors.StripeError) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect((err as Stripe.errors.StripeError).message).toMatch(
      /^Sending credit card numbers directly to the Stripe API is generally unsafe/,
    );
    expect(await h.stripe.paymentMethods.list({ type: 'card' })).toMatchObject({ data: [] });
  });

  it('creates a card PaymentMethod from raw card data with a publishable key, keeping only brand, last4 and expiry', async () => {
    const res = await browser('/v1/payment_methods', cardForm('4242 4242 4242 4242', nextYear, '7'));
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.body).toMatchObject({
      object: 'payment_method',
      type: 'card',
      customer: null,
      card: { brand: 'visa', last4: '4242', exp_month: 7, exp_year: Number(nextYear), funding: 'credit', country: 'US' },
    });
    expect(JSON.stringify(res.body)).not.toContain('4242424242424242');
  });

  it('answers a publishable key only on the browser routes', async () => {
    const res = await browser('/v1/customers', {}, 'GET');
    expect(res.status).toBe(401);
    expect(res.body.error.message).toMatch(/cannot be made with a publishable API key/);
  });

  it('checks card data as Stripe does: Luhn, expiry in the past, CVC', async () => {
    const luhn = await browser('/v1/payment_methods', cardForm('4242424242424241'));
    expect(luhn).toMatchObject({ status: 402, body: { error: { type: 'card_error', code: 'incorrect_number', param: 'card[number]' } } });
    const past = await browser('/v1/payment_methods', cardForm('4242424242424242', '2020'));
    expect(past).toMatchObject({
      status: 402,
      body: { error: { code: 'invalid_expiry_year', message: "Your card's expiration year is in the past." } },
    });
    const cvc = await browser('/v1/payment_methods', { ...cardForm('4242424242424242'), 'card[cvc]': '12a' });
    expect(cvc).toMatchObject({ status: 402, body: { error: { code: 'invalid_cvc' } } });
  });

  it('confirms and reads a PaymentIntent with its client secret; a wrong secret is 404', async () => {
    const { pi, res } = await payInBrowser('4242424242424242');
    expect(res).toMatchObject({ status: 200, body: { id: pi.id, status: 'succeeded' } });
    const read = await browser(`/v1/payment_intents/${pi.id}`, { client_secret: pi.client_secret! }, 'GET');
    expect(read).toMatchObject({ status: 200, body: { status: 'succeeded' } });
    for (const secret of [`${pi.id}_secret_wrong`, '']) {
      const wrong = await browser(`/v1/payment_intents/${pi.id}`, { client_secret: secret }, 'GET');
      expect(wrong).toMatchObject({
        status: 404,
        body: { error: { code: 'resource_missing', message: `No such payment_intent: '${pi.id}'` } },
      });
      const confirm = await browser(`/v1/payment_intents/${pi.id}/confirm`, { client_secret: secret, payment_method: 'pm_card_visa' });
      expect(confirm.status).toBe(404);
    }
  });

  it('answers the CORS preflight of a browser', async () => {
    const res = await fetch(`${h.emulator.url}/v1/payment_methods`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://shop.example',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
  });

  it.each([
    ['4242424242424242', 'succeeded', null],
    ['4000000000000002', 'requires_payment_method', 'generic_decline'],
    ['4000000000009995', 'requires_payment_method', 'insufficient_funds'],
    ['4000000000000069', 'requires_payment_method', 'expired_card'],
    ['4000000000000127', 'requires_payment_method', 'incorrect_cvc'],
    ['4000002760003184', 'requires_action', null],
    ['4000002500003155', 'requires_action', null],
    ['4000003800000446', 'requires_action', null],
    ['4000008260003178', 'requires_action', null],
  ])('test card %s on-session -> %s (%s)', async (number, status, declineCode) => {
    const { pi, res } = await payInBrowser(number);
    if (declineCode) {
      expect(res).toMatchObject({ status: 402, body: { error: { type: 'card_error', decline_code: declineCode } } });
    } else {
      expect(res.status).toBe(200);
    }
    expect((await h.stripe.paymentIntents.retrieve(pi.id)).status).toBe(status);
  });

  it('serves a 3-D Secure page whose Complete button finishes and returns to return_url', async () => {
    const { pi, res } = await payInBrowser('4000002760003184');
    const url: string = res.body.next_action.redirect_to_url.url;
    const page = await (await fetch(url)).text();
    expect(page).toMatch(/<button name="result" value="success">Complete<\/button>/);
    expect(page).toMatch(/<button name="result" value="failure">Fail<\/button>/);
    const done = await fetch(url, { method: 'POST', body: new URLSearchParams({ result: 'success' }), redirect: 'manual' });
    expect(done.status).toBe(302);
    const back = new URL(done.headers.get('location')!);
    expect(back.origin + back.pathname).toBe('https://shop.example/done');
    expect(Object.fromEntries(back.searchParams)).toEqual({
      payment_intent: pi.id,
      payment_intent_client_secret: pi.client_secret,
      redirect_status: 'succeeded',
    });
    expect((await h.stripe.paymentIntents.retrieve(pi.id)).status).toBe('succeeded');
  });

  it('Fail on the 3-D Secure page leaves the payment requiring a payment method', async () => {
    const { pi, res } = await payInBrowser('4000002760003184');
    const done = await fetch(res.body.next_action.redirect_to_url.url, {
      method: 'POST',
      body: new URLSearchParams({ result: 'failure' }),
      redirect: 'manual',
    });
    expect(new URL(done.headers.get('location')!).searchParams.get('redirect_status')).toBe('failed');
    const after = await h.stripe.paymentIntents.retrieve(pi.id);
    expect(after).toMatchObject({
      status: 'requires_payment_method',
      last_payment_error: { code: 'payment_intent_authentication_failure' },
    });
  });

  it('4000008260003178 declines for insufficient funds once 3-D Secure is completed', async () => {
    const { pi, res } = await payInBrowser('4000008260003178');
    await fetch(`${res.body.next_action.redirect_to_url.url}?result=success`, { redirect: 'manual' });
    expect(await h.stripe.paymentIntents.retrieve(pi.id)).toMatchObject({
      status: 'requires_payment_method',
      last_payment_error: { decline_code: 'insufficient_funds' },
    });
  });
});

describe('SetupIntents and off-session charges', () => {
  beforeEach(() => h.reset());

  async function saveCard(number: string) {
    const customer = await h.stripe.customers.create({ email: 'saver@example.com' });
    const si = await h.stripe.setupIntents.create({ customer: customer.id, usage: 'off_session' });
    expect(si).toMatchObject({ object: 'setup_intent', status: 'requires_payment_method', usage: 'off_session' });
    const pm = await cardPm(number);
    const res = await browser(`/v1/setup_intents/${si.id}/confirm`, {
      client_secret: si.client_secret!,
      payment_method: pm,
      return_url: 'https://shop.example/saved',
    });
    expect(res.status).toBe(200);
    if (res.body.status === 'requires_action') {
      const done = await fetch(res.body.next_action.redirect_to_url.url, {
        method: 'POST',
        body: new URLSearchParams({ result: 'success' }),
        redirect: 'manual',
      });
      expect(new URL(done.headers.get('location')!).searchParams.get('setup_intent')).toBe(si.id);
    }
    expect(await h.stripe.setupIntents.retrieve(si.id)).toMatchObject({ status: 'succeeded', payment_method: pm });
    expect((await h.stripe.paymentMethods.retrieve(pm)).customer).toBe(customer.id);
    return { customer, si, pm, needed3ds: res.body.status === 'requires_action' };
  }

  const chargeOffSession = (customer: string, pm: string) =>
    h.stripe.paymentIntents.create({
      amount: 1500,
      currency: 'usd',
      customer,
      payment_method: pm,
      off_session: true,
      confirm: true,
    });

  it('4242 saves without 3-D Secure and charges off-session; events tell the story', async () => {
    const { customer, pm, needed3ds } = await saveCard('4242424242424242');
    expect(needed3ds).toBe(false);
    expect((await chargeOffSession(customer.id, pm)).status).toBe('succeeded');
    expect(await eventTypes(h.stripe, { type: 'setup_intent.*' })).toEqual(['setup_intent.created', 'setup_intent.succeeded']);
    expect(await eventTypes(h.stripe, { type: 'payment_method.attached' })).toEqual(['payment_method.attached']);
  });

  it('4000002500003155 needs 3-D Secure on setup, then charges off-session', async () => {
    const { customer, pm, needed3ds } = await saveCard('4000002500003155');
    expect(needed3ds).toBe(true);
    expect((await chargeOffSession(customer.id, pm)).status).toBe('succeeded');
  });

  it('4000002760003184 once saved still declines off-session with authentication_required', async () => {
    const { customer, pm } = await saveCard('4000002760003184');
    const err = (await chargeOffSession(customer.id, pm).catch((e) => e)) as Stripe.errors.StripeCardError;
    expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(err.code).toBe('authentication_required');
    expect(err.payment_intent).toMatchObject({ status: 'requires_payment_method', last_payment_error: { payment_method: { id: pm } } });
  });

  it('4000003800000446 charges off-session without any setup', async () => {
    const customer = await h.stripe.customers.create({});
    const pm = await cardPm('4000003800000446');
    await h.stripe.paymentMethods.attach(pm, { customer: customer.id });
    expect((await chargeOffSession(customer.id, pm)).status).toBe('succeeded');
  });

  it('a declined card fails the setup with last_setup_error and a 402', async () => {
    const customer = await h.stripe.customers.create({});
    const err = (await h.stripe.setupIntents
      .create({ customer: customer.id, payment_method: 'pm_card_chargeDeclined', confirm: true })
      .catch((e) => e)) as Stripe.errors.StripeCardError;
    expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
    const [si] = (await h.stripe.setupIntents.list({ customer: customer.id })).data;
    expect(si).toMatchObject({ status: 'requires_payment_method', last_setup_error: { decline_code: 'generic_decline' } });
    const canceled = await h.stripe.setupIntents.cancel(si.id);
    expect(canceled.status).toBe('canceled');
  });
});
