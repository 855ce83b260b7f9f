import { Emulator } from '../core/emulator';
import { StripeApiError, invalid } from '../core/errors';
import { newId } from '../core/ids';
import { paginate } from '../core/list';
import { int, missingParam, str } from '../core/params';
import { RequestInfo, Router } from '../core/router';
import type { InvoiceObject } from '../core/billing-objects';
import type { TestClockObject } from '../core/objects';
import { DeletedObject, update } from '../core/store';
import { deleteCustomer } from './customers';
import { attemptInvoicePayment, recordPaymentFailure } from './invoices';
import { resolvePaymentMethod } from './payment-methods';
import { advanceSubscription, billingPm } from './subscriptions';

const DAY = 86400;
/** Stripe deletes a test clock 30 days after its creation. */
const CLOCK_LIFETIME = 30 * DAY;
/** Stripe caps one advance at two billing intervals of the clock's subscriptions; a generous bound here. */
const MAX_STEPS = 1000;

interface Step {
  at: number;
  run(): void;
}

const LIVE = ['trialing', 'active', 'past_due'];

/** What billing would do next on this clock, earliest first: trial notices, trial ends, renewals, retries. */
function dueSteps(em: Emulator, clock: TestClockObject): Step[] {
  const customers = new Set(em.store.list('customer', (c) => c.test_clock === clock.id).map((c) => c.id));
  const steps: Step[] = [];
  for (const sub of em.store.list('subscription', (s) => customers.has(s.customer) && LIVE.includes(s.status))) {
    const meta = em.store.meta(sub.id);
    if (sub.status === 'trialing' && sub.trial_end && !meta.trialWillEndSent) {
      steps.push({
        at: Math.max(sub.trial_start ?? 0, sub.trial_end - 3 * DAY),
        run: () => {
          meta.trialWillEndSent = true;
          em.emit('customer.subscription.trial_will_end', sub, null);
        },
      });
    }
    // Renewal, end of trial and cancel_at_period_end all happen at the end of the current period.
    steps.push({ at: sub.items.data[0].current_period_end, run: () => advanceSubscription(em, sub.id) });
  }
  for (const invoice of em.store.list('invoice', (i) => customers.has(i.customer) && i.status === 'open')) {
    const at = invoice.next_payment_attempt;
    if (at) steps.push({ at, run: () => retryInvoice(em, invoice) });
  }
  return steps.sort((a, b) => a.at - b.at);
}

/** A scheduled retry charges the subscription's current default payment method (it may have been replaced). */
function retryInvoice(em: Emulator, invoice: InvoiceObject): void {
  const sub = em.store.get(invoice.subscription, 'subscription');
  const pmId = sub ? billingPm(em, sub) : null;
  if (!pmId) return recordPaymentFailure(em, invoice, null);
  attemptInvoicePayment(em, invoice, resolvePaymentMethod(em, pmId, null), null, { swallowDecline: true, offSession: true });
}

/** Runs everything billing would have done between the clock's frozen time and `target`, in time order. */
function runUntil(em: Emulator, clock: TestClockObject, target: number): void {
  for (let i = 0; i < MAX_STEPS; i++) {
    const next = dueSteps(em, clock)[0];
    if (!next || next.at > target) return;
    em.atTime(next.at, () => next.run());
  }
  em.opts.logger.warn(`stripe-emulator: test clock ${clock.id} stopped after ${MAX_STEPS} billing steps`);
}

export function registerTestClocks(router: Router, em: Emulator): void {
  router.add('POST', '/v1/test_helpers/test_clocks', ({ params, req }) => {
    const frozen = int(params, 'frozen_time') ?? missingParam('frozen_time');
    const clock = em.store.put<TestClockObject>({
      id: newId('clock'),
      object: 'test_helpers.test_clock',
      created: em.nowSec(),
      deletes_after: em.nowSec() + CLOCK_LIFETIME,
      frozen_time: frozen,
      livemode: false,
      name: str(params, 'name') ?? null,
      status: 'ready',
      status_details: {},
    });
    em.emit('test_helpers.test_clock.created', clock, req);
    return clock;
  });

  router.add('GET', '/v1/test_helpers/test_clocks/:id', ({ path }) => em.store.find(path.id, 'test_helpers.test_clock', 'test_clock'));

  router.add('GET', '/v1/test_helpers/test_clocks', ({ params }) =>
    paginate(em.store.list('test_helpers.test_clock'), params, '/v1/test_helpers/test_clocks'),
  );

  router.add('DELETE', '/v1/test_helpers/test_clocks/:id', ({ path, req }) => {
    const clock = em.store.find(path.id, 'test_helpers.test_clock', 'test_clock');
    // Deleting a clock deletes the customers on it, and with them their subscriptions.
    for (const customer of em.store.list('customer', (c) => c.test_clock === clock.id)) deleteCustomer(em, customer, req);
    em.emit('test_helpers.test_clock.deleted', clock, req);
    return em.store.put<DeletedObject>({ id: clock.id, object: 'test_helpers.test_clock', deleted: true });
  });

  router.add('POST', '/v1/test_helpers/test_clocks/:id/advance', ({ path, params, req }) => {
    const clock = em.store.find(path.id, 'test_helpers.test_clock', 'test_clock');
    const target = int(params, 'frozen_time') ?? missingParam('frozen_time');
    if (clock.status === 'advancing') {
      throw new StripeApiError(400, 'The test clock is already advancing; wait until its status is ready.', {
        code: 'test_clock_advancing',
      });
    }
    if (target <= clock.frozen_time) {
      throw invalid('The frozen_time must be after the current frozen_time of the test clock.', 'parameter_invalid_integer', 'frozen_time');
    }
    update(clock, { status: 'advancing', status_details: { advancing: { target_frozen_time: target } } });
    em.emit('test_helpers.test_clock.advancing', clock, req);
    // As on Stripe the call answers at once; the clock works through billing and turns ready later.
    em.schedule(() => finishAdvance(em, clock.id, target, req), em.opts.asyncDelayMs);
    return clock;
  });
}

function finishAdvance(em: Emulator, clockId: string, target: number, req: RequestInfo | null): void {
  const clock = em.store.get(clockId, 'test_helpers.test_clock');
  if (!clock || clock.status !== 'advancing') return;
  try {
    runUntil(em, clock, target);
    update(clock, { frozen_time: target, status: 'ready', status_details: {} });
    em.emit('test_helpers.test_clock.ready', clock, req);
  } catch (err) {
    em.opts.logger.warn(`stripe-emulator: test clock ${clockId} failed: ${(err as Error).stack ?? err}`);
    update(clock, { status: 'internal_failure', status_details: {} });
    em.emit('test_helpers.test_clock.internal_failure', clock, req);
  }
  em.changed();
}
