import type { TestCard } from '../resources/test-cards';
import type { InvoiceObject, PriceObject, ProductObject, SubscriptionObject } from './billing-objects';
import { missingResource } from './errors';
import type {
  ChargeObject,
  CustomerObject,
  EventObject,
  PaymentIntentObject,
  PaymentMethodObject,
  RefundObject,
  SetupIntentObject,
  TestClockObject,
  WebhookEndpointObject,
} from './objects';

/** Every kind of top-level object the store keeps, by its `object` field. */
export interface Kinds {
  charge: ChargeObject;
  customer: CustomerObject;
  event: EventObject;
  invoice: InvoiceObject;
  payment_intent: PaymentIntentObject;
  payment_method: PaymentMethodObject;
  price: PriceObject;
  product: ProductObject;
  refund: RefundObject;
  setup_intent: SetupIntentObject;
  subscription: SubscriptionObject;
  'test_helpers.test_clock': TestClockObject;
  webhook_endpoint: WebhookEndpointObject;
}

export type Kind = keyof Kinds;
export type LiveObject = Kinds[Kind];

/** What a deletion leaves in place of the object, as Stripe answers it. */
export interface DeletedObject {
  id: string;
  object: Kind;
  deleted: true;
}

export type StoredObject = LiveObject | DeletedObject;

const KIND: Partial<Record<Kind, string>> = {
  payment_intent: 'payment_intent',
  payment_method: 'PaymentMethod',
  webhook_endpoint: 'webhook endpoint',
};

const isLive = <K extends Kind>(o: StoredObject | undefined, kind: K): o is Kinds[K] => o?.object === kind && !o.deleted;

/** What Stripe keeps about an object but never shows; each field is written by the one feature named. */
export interface ObjectMeta {
  /** webhook endpoint: its signing secret (only the create answer shows it). */
  secret?: string;
  /** PaymentIntent / SetupIntent: where 3-D Secure returns the customer. */
  returnUrl?: string | null;
  /** PaymentMethod: the test card behind it (outcome, brand, last4). */
  card?: TestCard;
  /** PaymentMethod: set up for off-session use (a SetupIntent or setup_future_usage succeeded). */
  setUpOffSession?: boolean;
  /** PaymentIntent: the invoice it pays. */
  invoice?: string;
  /** Subscription: its first invoice is being created (invoice events wait). */
  creating?: boolean;
  /** Subscription: customer.subscription.trial_will_end already sent. */
  trialWillEndSent?: boolean;
  /** Refund: its test card makes it fail when it settles. */
  willFail?: boolean;
  /** Event: endpoints still to deliver it to. */
  pendingEndpoints?: string[];
}

export interface StoreSnapshot {
  objects: StoredObject[];
  internal: [string, ObjectMeta][];
}

/** All Stripe objects in creation order; Map keeps insertion order, which gives "newest first" for free. */
export class Store {
  private objects = new Map<string, StoredObject>();
  /** State Stripe keeps but never shows (test card behaviour, idempotency of async transitions). */
  private internal = new Map<string, ObjectMeta>();

  /** Whatever has this id, a deletion's tombstone included. */
  get(id: string): StoredObject | undefined;
  /** The live object of this kind with this id. */
  get<K extends Kind>(id: string, kind: K): Kinds[K] | undefined;
  get(id: string, kind?: Kind): StoredObject | undefined {
    const found = this.objects.get(id);
    return kind === undefined || isLive(found, kind) ? found : undefined;
  }

  /** The live object of this kind, else 404 resource_missing naming `param`. */
  find<K extends Kind>(id: unknown, kind: K, param?: string): Kinds[K] {
    const found = typeof id === 'string' ? this.objects.get(id) : undefined;
    if (!isLive(found, kind)) throw missingResource(KIND[kind] ?? kind, String(id), param);
    return found;
  }

  put<T extends StoredObject>(obj: T): T {
    this.objects.set(obj.id, obj);
    return obj;
  }

  /** Live objects of a kind, newest first. */
  list<K extends Kind>(kind: K, filter: (o: Kinds[K]) => boolean = () => true): Kinds[K][] {
    const out: Kinds[K][] = [];
    for (const o of this.objects.values()) if (isLive(o, kind) && filter(o)) out.push(o);
    return out.reverse();
  }

  meta(id: string): ObjectMeta {
    let m = this.internal.get(id);
    if (!m) this.internal.set(id, (m = {}));
    return m;
  }

  clear(): void {
    this.objects.clear();
    this.internal.clear();
  }

  snapshot(): StoreSnapshot {
    return { objects: [...this.objects.values()], internal: [...this.internal.entries()] };
  }

  load(snapshot: StoreSnapshot): void {
    this.clear();
    for (const o of snapshot.objects ?? []) this.objects.set(o.id, o);
    for (const [k, v] of snapshot.internal ?? []) this.internal.set(k, v);
  }
}

/** Object.assign whose fields are checked against the object's own type. */
export function update<T extends object>(target: T, fields: Partial<T>): T {
  return Object.assign(target, fields);
}

export function clone<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}
