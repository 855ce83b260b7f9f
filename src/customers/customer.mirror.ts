import type Stripe from 'stripe';
import { canonicalJson } from '../common/idempotency/canonical-json';
import type { MirrorDeclaration, MirrorEventSpec } from '../common/mirror/mirror-declaration';
import { callerMetadata } from '../common/stripe/stripe-metadata';
import { CustomerEntity } from './customer.entity';
import { toCustomerResponse } from './dto/customer.response';

function defaultPaymentMethodOf(customer: Stripe.Customer): string | null {
  const pm = customer.invoice_settings?.default_payment_method;
  return typeof pm === 'string' ? pm : (pm?.id ?? null);
}

type StripeCustomer = Stripe.Customer | Stripe.DeletedCustomer;
const isDeleted = (c: StripeCustomer): c is Stripe.DeletedCustomer => 'deleted' in c && !!c.deleted;

/** customer.created for a new row, customer.deleted once, customer.updated for any other visible change. */
export function customerEvents(previous: CustomerEntity | null, next: CustomerEntity): MirrorEventSpec[] {
  if (!previous) return [{ type: 'customer.created' }];
  if (!previous.deletedAt && next.deletedAt) return [{ type: 'customer.deleted' }];
  const visible = (c: CustomerEntity) => canonicalJson({ ...toCustomerResponse(c), updatedAt: null });
  return visible(previous) === visible(next) ? [] : [{ type: 'customer.updated' }];
}

/** How a Stripe Customer is mirrored into `customers`; a deletion is final and keeps a tombstone. */
export function customerMirror(stripe: Stripe): MirrorDeclaration<StripeCustomer, CustomerEntity> {
  return {
    entity: CustomerEntity,
    table: 'customers',
    objectType: 'customer',
    stripeIdColumn: 'stripe_customer_id',
    state: (c) =>
      isDeleted(c)
        ? { deleted_at: new Date() }
        : {
            stripe_customer_id: c.id,
            email: c.email,
            name: c.name ?? null,
            phone: c.phone ?? null,
            description: c.description ?? null,
            metadata: callerMetadata(c.metadata),
            default_payment_method: defaultPaymentMethodOf(c),
          },
    jsonColumns: ['metadata'],
    keepWhenNull: ['email'],
    keepWhenSet: ['deleted_at'],
    statusOf: (values) => (values.deleted_at ? 'deleted' : 'active'),
    finalStatuses: ['deleted'],
    // A deletion is the customer's last word, whatever the order its events arrive in.
    alwaysApplies: isDeleted,
    adopt: async (c) => (isDeleted(c) || !c.email ? null : {}),
    retrieve: (id) => stripe.customers.retrieve(id),
    response: toCustomerResponse,
    events: customerEvents,
  };
}
