import type { TestCard } from '../resources/test-cards';
import { missingResource } from './errors';

export type StripeObject = Record<string, any> & { id: string; object: string };

const KIND: Record<string, string> = {
  payment_intent: 'payment_intent',
  payment_method: 'PaymentMethod',
  webhook_endpoint: 'webhook endpoint',
};

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
  objects: StripeObject[];
  internal: [string, ObjectMeta][];
}

/** All Stripe objects in creation order; Map keeps insertion order, which gives "newest first" for free. */
export class Store {
  private objects = new Map<string, StripeObject>();
  /** State Stripe keeps but never shows (test card behaviour, idempotency of async transitions). */
  private internal = new Map<string, ObjectMeta>();

  get(id: string): StripeObject | undefined {
    return this.objects.get(id);
  }

  find(id: unknown, object: string, param?: string): StripeObject {
    const found = typeof id === 'string' ? this.objects.get(id) : undefined;
    if (!found || found.object !== object || found.deleted) {
      throw missingResource(KIND[object] ?? object, String(id), param);
    }
    return found;
  }

  put(obj: StripeObject): StripeObject {
    this.objects.set(obj.id, obj);
    return obj;
  }

  /** Newest first. */
  list(object: string, filter: (o: StripeObject) => boolean = () => true): StripeObject[] {
    const out: StripeObject[] = [];
    for (const o of this.objects.values()) if (o.object === object && !o.deleted && filter(o)) out.push(o);
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

export function clone<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}
