import { Emulator } from '../core/emulator';
import { invalid } from '../core/errors';
import { newId } from '../core/ids';
import { matchesCreated, paginate } from '../core/list';
import { Params, bool, hash, int, mergeMetadata, missingParam, oneOf, required, requiredStr, str, stringList } from '../core/params';
import { RequestInfo, Router } from '../core/router';
import type { PriceObject, ProductObject, Recurring } from '../core/billing-objects';
import { validateCurrency } from './amounts';

function createProduct(em: Emulator, params: Params, req: RequestInfo | null, announce = true): ProductObject {
  const product = em.store.put<ProductObject>({
    id: str(params, 'id') || newId('prod'),
    object: 'product',
    active: bool(params, 'active') ?? true,
    created: em.nowSec(),
    default_price: null,
    description: str(params, 'description') ?? null,
    images: [],
    livemode: false,
    marketing_features: [],
    metadata: mergeMetadata({}, params.metadata),
    name: requiredStr(params, 'name'),
    package_dimensions: null,
    shippable: null,
    statement_descriptor: null,
    tax_code: null,
    type: 'service',
    unit_label: null,
    updated: em.nowSec(),
    url: null,
  });
  if (announce) em.emit('product.created', product, req);
  return product;
}

function createPrice(em: Emulator, params: Params, req: RequestInfo | null, id?: string, announce = true): PriceObject {
  const currency = validateCurrency(params);
  const unitAmount = int(params, 'unit_amount');
  if (unitAmount === undefined) required(params, 'unit_amount');
  if (unitAmount! < 0) throw invalid('This value must be greater than or equal to 0.', 'parameter_invalid_integer', 'unit_amount');
  let productId: string;
  const productData = hash(params, 'product_data');
  const recurringParams = hash(params, 'recurring');
  if (params.product) productId = em.store.find(params.product, 'product', 'product').id;
  else if (productData) productId = createProduct(em, productData, req).id;
  else required(params, 'product');
  let recurring: Recurring | null = null;
  if (recurringParams) {
    const interval = oneOf(recurringParams, 'interval', ['day', 'week', 'month', 'year'] as const) ?? missingParam('interval');
    recurring = {
      interval,
      interval_count: int(recurringParams, 'interval_count', 'recurring[interval_count]') ?? 1,
      meter: null,
      trial_period_days: null,
      usage_type: 'licensed',
    };
  }
  const lookupKey = str(params, 'lookup_key') ?? null;
  if (lookupKey && params.transfer_lookup_key === 'true') {
    for (const other of em.store.list('price', (p) => p.lookup_key === lookupKey)) other.lookup_key = null;
  } else if (lookupKey && em.store.list('price', (p) => p.lookup_key === lookupKey).length) {
    throw invalid(
      `A price (${em.store.list('price', (p) => p.lookup_key === lookupKey)[0].id}) already uses that lookup key.`,
      undefined,
      'lookup_key',
    );
  }
  const price = em.store.put<PriceObject>({
    id: id ?? newId('price'),
    object: 'price',
    active: bool(params, 'active') ?? true,
    billing_scheme: 'per_unit',
    created: em.nowSec(),
    currency,
    custom_unit_amount: null,
    livemode: false,
    lookup_key: lookupKey,
    metadata: mergeMetadata({}, params.metadata),
    nickname: str(params, 'nickname') ?? null,
    product: productId!,
    recurring,
    tax_behavior: 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: recurring ? 'recurring' : 'one_time',
    unit_amount: unitAmount!,
    unit_amount_decimal: String(unitAmount),
  });
  if (announce) em.emit('price.created', price, req);
  return price;
}

/** The sandbox's demo catalog: fixed ids, so Swagger's examples and README commands work in every sandbox. */
export const DEMO_CATALOG = {
  product: { id: 'prod_sandbox_demo', name: 'Demo plan' },
  prices: [
    { id: 'price_sandbox_demo_monthly', lookupKey: 'sandbox_demo_monthly', unitAmount: 1500, currency: 'usd', interval: 'month' },
    { id: 'price_sandbox_demo_yearly', lookupKey: 'sandbox_demo_yearly', unitAmount: 15000, currency: 'usd', interval: 'year' },
  ],
} as const;

/**
 * Creates the demo product and its prices where missing (idempotent: a restored state already has them).
 * Without events: they are part of the sandbox as it comes, like an account's existing catalog, not news
 * for a webhook endpoint or for reconciliation's event listing.
 */
export function seedDemoCatalog(em: Emulator): void {
  const { product, prices } = DEMO_CATALOG;
  if (!em.store.get(product.id)) createProduct(em, { id: product.id, name: product.name, metadata: { sandbox_demo: 'true' } }, null, false);
  for (const price of prices) {
    if (em.store.get(price.id)) continue;
    const params = {
      product: product.id,
      currency: price.currency,
      unit_amount: String(price.unitAmount),
      recurring: { interval: price.interval },
      lookup_key: price.lookupKey,
      nickname: `Demo ${price.interval}ly`,
    };
    createPrice(em, params, null, price.id, false);
  }
}

export function registerProductsAndPrices(router: Router, em: Emulator): void {
  router.add('POST', '/v1/products', ({ params, req }) => {
    return createProduct(em, params, req);
  });
  router.add('GET', '/v1/products/:id', ({ path }) => {
    return em.store.find(path.id, 'product', 'id');
  });
  router.add('POST', '/v1/products/:id', ({ path, params, req }) => {
    const product = em.store.find(path.id, 'product', 'id');
    const before = structuredClone(product);
    for (const f of ['name', 'description', 'statement_descriptor', 'unit_label', 'url', 'default_price'] as const) {
      const v = str(params, f);
      if (v !== undefined) product[f] = v;
    }
    const active = bool(params, 'active');
    if (active !== undefined) product.active = active;
    product.metadata = mergeMetadata(product.metadata, params.metadata);
    product.updated = em.nowSec();
    em.emitUpdate('product.updated', before, product, req);
    return product;
  });
  router.add('GET', '/v1/products', ({ params }) => {
    const active = bool(params, 'active');
    const ids = stringList(params.ids);
    const items = em.store.list(
      'product',
      (p) =>
        (active === undefined || p.active === active) && (!ids.length || ids.includes(p.id)) && matchesCreated(p.created, params.created),
    );
    return paginate(items, params, '/v1/products');
  });

  router.add('POST', '/v1/prices', ({ params, req }) => createPrice(em, params, req));
  router.add('GET', '/v1/prices/:id', ({ path }) => {
    return em.store.find(path.id, 'price', 'price');
  });
  router.add('POST', '/v1/prices/:id', ({ path, params, req }) => {
    const price = em.store.find(path.id, 'price', 'price');
    const before = structuredClone(price);
    price.metadata = mergeMetadata(price.metadata, params.metadata);
    const active = bool(params, 'active');
    if (active !== undefined) price.active = active;
    for (const f of ['nickname', 'lookup_key'] as const) {
      const v = str(params, f);
      if (v !== undefined) price[f] = v;
    }
    em.emitUpdate('price.updated', before, price, req);
    return price;
  });
  router.add('GET', '/v1/prices', ({ params }) => {
    const active = bool(params, 'active');
    const keys = stringList(params.lookup_keys);
    const interval = hash(params, 'recurring')?.interval;
    const items = em.store.list(
      'price',
      (p) =>
        (!params.product || p.product === params.product) &&
        (active === undefined || p.active === active) &&
        (!params.type || p.type === params.type) &&
        (!params.currency || p.currency === params.currency) &&
        (!keys.length || (p.lookup_key !== null && keys.includes(p.lookup_key))) &&
        (!interval || p.recurring?.interval === interval) &&
        matchesCreated(p.created, params.created),
    );
    return paginate(items, params, '/v1/prices');
  });
}
