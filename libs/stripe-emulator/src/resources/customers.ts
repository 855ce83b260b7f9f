import { Emulator } from '../core/emulator';
import { invalid } from '../core/errors';
import { newId, randomToken } from '../core/ids';
import { matchesCreated, paginate } from '../core/list';
import { Params, hash, mergeMetadata, str } from '../core/params';
import { RequestInfo, Router } from '../core/router';
import type { CustomerObject } from '../core/objects';
import { DeletedObject, update } from '../core/store';
import { attachPaymentMethod, resolvePaymentMethod } from './payment-methods';

function applyWritable(em: Emulator, customer: CustomerObject, params: Params, req: RequestInfo): void {
  for (const field of ['email', 'name', 'phone', 'description'] as const) {
    const value = str(params, field);
    if (value !== undefined) customer[field] = value;
  }
  customer.metadata = mergeMetadata(customer.metadata, params.metadata);
  if (params.payment_method) {
    attachPaymentMethod(em, resolvePaymentMethod(em, params.payment_method, req), customer.id, req);
  }
  const defaultPm = hash(params, 'invoice_settings')?.default_payment_method;
  if (defaultPm === '') customer.invoice_settings.default_payment_method = null;
  else if (defaultPm !== undefined) {
    const pm = resolvePaymentMethod(em, defaultPm, req, 'invoice_settings[default_payment_method]');
    if (pm.customer !== customer.id) {
      throw invalid(
        `The customer does not have a payment method with the ID ${defaultPm}. The payment method must be attached to the customer.`,
        'resource_missing',
        'invoice_settings[default_payment_method]',
      );
    }
    customer.invoice_settings.default_payment_method = pm.id;
  }
}

/** Deletes a customer and cancels its subscriptions (also when its test clock is deleted). */
export function deleteCustomer(em: Emulator, customer: CustomerObject, req: RequestInfo | null): DeletedObject {
  em.emit('customer.deleted', customer, req);
  for (const sub of em.store.list('subscription', (s) => s.customer === customer.id && s.status !== 'canceled')) {
    const before = structuredClone(sub);
    update(sub, { status: 'canceled', canceled_at: em.nowSec(), ended_at: em.nowSec() });
    em.emit('customer.subscription.deleted', sub, req, { status: before.status });
  }
  return em.store.put<DeletedObject>({ id: customer.id, object: 'customer', deleted: true });
}

export function registerCustomers(router: Router, em: Emulator): void {
  router.add('POST', '/v1/customers', ({ params, req }) => {
    // A customer created on a test clock lives at the clock's frozen time, and so does all it is billed.
    const clock = params.test_clock ? em.store.find(params.test_clock, 'test_helpers.test_clock', 'test_clock') : undefined;
    const customer = em.store.put<CustomerObject>({
      id: newId('cus'),
      object: 'customer',
      address: null,
      balance: 0,
      created: clock?.frozen_time ?? em.nowSec(),
      currency: null,
      default_source: null,
      delinquent: false,
      description: null,
      discount: null,
      email: null,
      invoice_prefix: randomToken(8).toUpperCase(),
      invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
      livemode: false,
      metadata: {},
      name: null,
      next_invoice_sequence: 1,
      phone: null,
      preferred_locales: [],
      shipping: null,
      tax_exempt: 'none',
      test_clock: clock?.id ?? null,
    });
    applyWritable(em, customer, params, req);
    em.emit('customer.created', customer, req);
    return customer;
  });

  router.add('GET', '/v1/customers/:id', ({ path }) => {
    const customer = em.store.get(path.id);
    if (customer?.object === 'customer' && customer.deleted) return customer;
    return em.store.find(path.id, 'customer', 'id');
  });

  router.add('POST', '/v1/customers/:id', ({ path, params, req }) => {
    const customer = em.store.find(path.id, 'customer', 'id');
    const before = structuredClone(customer);
    applyWritable(em, customer, params, req);
    em.emitUpdate('customer.updated', before, customer, req);
    return customer;
  });

  router.add('DELETE', '/v1/customers/:id', ({ path, req }) => deleteCustomer(em, em.store.find(path.id, 'customer', 'id'), req));

  router.add('GET', '/v1/customers', ({ params }) => {
    const items = em.store.list(
      'customer',
      (c) =>
        (!params.email || c.email === params.email) &&
        (!params.test_clock || c.test_clock === params.test_clock) &&
        matchesCreated(c.created, params.created),
    );
    return paginate(items, params, '/v1/customers');
  });
}
