import { Emulator } from '../core/emulator';
import { StripeApiError, invalid } from '../core/errors';
import { newId, randomToken } from '../core/ids';
import { paginate } from '../core/list';
import { Params, hash, mergeMetadata, missingParam, oneOf, required, str } from '../core/params';
import { RequestInfo, Router } from '../core/router';
import type { PaymentMethodObject } from '../core/objects';
import { rawCardParams, readRawCard } from './card-numbers';
import { TEST_CARDS, TestCard } from './test-cards';

const ALLOW_REDISPLAY = ['always', 'limited', 'unspecified'] as const;

const perRequest = new WeakMap<RequestInfo, Map<string, PaymentMethodObject>>();

/**
 * A test id (`pm_card_visa`) becomes a fresh card PaymentMethod on each use, as on Stripe;
 * within one request the same test id gives the same PaymentMethod.
 */
export function resolvePaymentMethod(em: Emulator, id: unknown, req: RequestInfo | null, param = 'payment_method'): PaymentMethodObject {
  if (typeof id !== 'string' || !id) throw invalid(`Invalid ${param}`, undefined, param);
  const card = TEST_CARDS[id];
  if (!card) {
    const found = em.store.get(id, 'payment_method');
    if (!found) {
      throw new StripeApiError(404, `No such PaymentMethod: '${id}'`, { code: 'resource_missing', param });
    }
    return found;
  }
  const cache = req ? (perRequest.get(req) ?? new Map<string, PaymentMethodObject>()) : new Map<string, PaymentMethodObject>();
  if (req) perRequest.set(req, cache);
  const cached = cache.get(id);
  if (cached) return cached;
  const pm = createCardPaymentMethod(em, card);
  cache.set(id, pm);
  return pm;
}

function createCardPaymentMethod(
  em: Emulator,
  card: TestCard,
  expiry: { expMonth: number; expYear: number } = { expMonth: 12, expYear: new Date(em.nowMs()).getUTCFullYear() + 3 },
): PaymentMethodObject {
  const pm = em.store.put<PaymentMethodObject>({
    id: newId('pm'),
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: {
      address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
      email: null,
      name: null,
      phone: null,
      tax_id: null,
    },
    card: {
      brand: card.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
      country: 'US',
      display_brand: card.brand,
      exp_month: expiry.expMonth,
      exp_year: expiry.expYear,
      fingerprint: randomToken(16),
      funding: 'credit',
      generated_from: null,
      last4: card.last4,
      networks: { available: [card.brand], preferred: null },
      regulated_status: 'unregulated',
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created: em.nowSec(),
    customer: null,
    livemode: false,
    metadata: {},
    type: 'card',
  });
  em.store.meta(pm.id).card = card;
  return pm;
}

export function testCardOf(em: Emulator, pm: PaymentMethodObject): TestCard {
  return em.store.meta(pm.id).card ?? TEST_CARDS.pm_card_visa;
}

export function attachPaymentMethod(em: Emulator, pm: PaymentMethodObject, customerId: string, req: RequestInfo | null): void {
  if (pm.customer === customerId) return;
  if (pm.customer) {
    throw invalid(
      'The payment method you provided has already been attached to a customer.',
      'payment_method_unexpected_state',
      'payment_method',
    );
  }
  pm.customer = customerId;
  em.emit('payment_method.attached', pm, req);
}

const RAW_CARD_REFUSED =
  'Sending credit card numbers directly to the Stripe API is generally unsafe. We suggest you use test tokens that map to the test card you are using, see https://stripe.com/docs/testing. To enable raw card data APIs in test mode, see https://support.stripe.com/questions/enabling-access-to-raw-card-data-apis.';

const ADDRESS_FIELDS = ['city', 'country', 'line1', 'line2', 'postal_code', 'state'] as const;

function applyBillingDetails(pm: PaymentMethodObject, details: Params | undefined): void {
  if (!details) return;
  for (const field of ['email', 'name', 'phone', 'tax_id'] as const) {
    const value = str(details, field);
    if (value !== undefined) pm.billing_details[field] = value;
  }
  const address = hash(details, 'address', 'billing_details[address]');
  if (!address) return;
  for (const field of ADDRESS_FIELDS) {
    const value = str(address, field);
    if (value !== undefined) pm.billing_details.address[field] = value;
  }
}

export function registerPaymentMethods(router: Router, em: Emulator): void {
  // What Stripe.js calls with the card the customer typed: raw card data only from a publishable key.
  router.add(
    'POST',
    '/v1/payment_methods',
    ({ params, key }) => {
      if (required(params, 'type') !== 'card') {
        throw invalid(`Invalid type: must be card (the emulator only creates cards).`, undefined, 'type');
      }
      const card = rawCardParams(params);
      if (!card) return missingParam('card[number]');
      if (key === 'secret') throw invalid(RAW_CARD_REFUSED);
      const raw = readRawCard(card, em.nowMs());
      const pm = createCardPaymentMethod(em, raw.card, raw);
      applyBillingDetails(pm, hash(params, 'billing_details'));
      pm.metadata = mergeMetadata(pm.metadata, params.metadata);
      const redisplay = oneOf(params, 'allow_redisplay', ALLOW_REDISPLAY);
      if (redisplay) pm.allow_redisplay = redisplay;
      return pm;
    },
    { publishable: true },
  );

  router.add('GET', '/v1/payment_methods/:id', ({ path, req }) => {
    return resolvePaymentMethod(em, path.id, req);
  });

  router.add('POST', '/v1/payment_methods/:id', ({ path, params, req }) => {
    const pm = resolvePaymentMethod(em, path.id, req);
    const before = structuredClone(pm);
    pm.metadata = mergeMetadata(pm.metadata, params.metadata);
    applyBillingDetails(pm, hash(params, 'billing_details'));
    const redisplay = oneOf(params, 'allow_redisplay', ALLOW_REDISPLAY);
    if (redisplay) pm.allow_redisplay = redisplay;
    em.emitUpdate('payment_method.updated', before, pm, req);
    return pm;
  });

  router.add('POST', '/v1/payment_methods/:id/attach', ({ path, params, req }) => {
    const customer = em.store.find(required(params, 'customer'), 'customer', 'customer');
    const pm = resolvePaymentMethod(em, path.id, req);
    attachPaymentMethod(em, pm, customer.id, req);
    return pm;
  });

  router.add('POST', '/v1/payment_methods/:id/detach', ({ path, req }) => {
    const pm = resolvePaymentMethod(em, path.id, req);
    const customerId = pm.customer;
    if (!customerId) {
      throw invalid(
        'The payment method you provided is not attached to a customer so detachment is impossible.',
        'payment_method_unexpected_state',
      );
    }
    pm.customer = null;
    em.emit('payment_method.detached', pm, req, { customer: customerId });
    // A detached card stops being the customer's default, as at Stripe.
    const customer = em.store.get(customerId, 'customer');
    if (customer?.invoice_settings.default_payment_method === pm.id) {
      const previous = structuredClone(customer);
      customer.invoice_settings.default_payment_method = null;
      em.emitUpdate('customer.updated', previous, customer, req);
    }
    return pm;
  });

  const list = (customer: unknown, params: Params, url: string) => {
    const type = params.type;
    const items = em.store.list('payment_method', (pm) => (!customer || pm.customer === customer) && (!type || pm.type === type));
    return paginate(items, params, url);
  };
  router.add('GET', '/v1/payment_methods', ({ params }) => {
    if (params.customer) em.store.find(params.customer, 'customer', 'customer');
    return list(params.customer, params, '/v1/payment_methods');
  });
  router.add('GET', '/v1/customers/:id/payment_methods', ({ path, params }) => {
    em.store.find(path.id, 'customer', 'customer');
    return list(path.id, params, `/v1/customers/${path.id}/payment_methods`);
  });
}
