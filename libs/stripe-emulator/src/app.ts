import http from 'node:http';
import { Emulator } from './core/emulator';
import { StripeApiError } from './core/errors';
import { Router } from './core/router';
import { TestActions } from './emulator-routes';
import { registerCharges } from './resources/charges';
import { registerCustomers } from './resources/customers';
import { registerEvents } from './resources/events';
import { registerInvoices } from './resources/invoices';
import { completeAuthentication } from './resources/payment-flow';
import { registerPaymentIntents } from './resources/payment-intents';
import { registerPaymentMethods } from './resources/payment-methods';
import { registerProductsAndPrices } from './resources/products-prices';
import { completeSetupAuthentication, registerSetupIntents } from './resources/setup-intents';
import { registerRefunds, settleRefund } from './resources/refunds';
import { advanceSubscription, registerSubscriptions } from './resources/subscriptions';
import { registerTestClocks } from './resources/test-clocks';
import { registerWebhookEndpoints } from './resources/webhook-endpoints';
import { createHttpServer } from './server';

/** Wires every resource onto one router and server. */
export function createEmulatorServer(em: Emulator): http.Server {
  const router = new Router();
  registerCustomers(router, em);
  registerPaymentMethods(router, em);
  registerPaymentIntents(router, em);
  registerSetupIntents(router, em);
  registerCharges(router, em);
  registerRefunds(router, em);
  registerProductsAndPrices(router, em);
  registerInvoices(router, em);
  registerSubscriptions(router, em);
  registerEvents(router, em);
  registerWebhookEndpoints(router, em);
  registerTestClocks(router, em);

  const actions: TestActions = {
    authenticate(intentId, success) {
      const setup = em.store.get(intentId)?.object === 'setup_intent';
      const intent = setup ? em.store.find(intentId, 'setup_intent', 'intent') : em.store.find(intentId, 'payment_intent', 'intent');
      if (intent.status !== 'requires_action') {
        throw new StripeApiError(
          400,
          `This ${setup ? 'SetupIntent' : 'PaymentIntent'} is not awaiting authentication; its status is ${intent.status}.`,
          { code: `${intent.object}_unexpected_state` },
        );
      }
      const returnUrl = em.store.meta(intent.id).returnUrl ?? null;
      if (intent.object === 'setup_intent') completeSetupAuthentication(em, intent, success);
      else completeAuthentication(em, intent, em.store.find(intent.payment_method, 'payment_method'), success);
      em.changed();
      return { intent, returnUrl };
    },
    settleRefund(refundId) {
      const refund = settleRefund(em, em.store.find(refundId, 'refund', 'refund'));
      em.changed();
      return refund;
    },
    advanceSubscription(subscriptionId, outcome) {
      const sub = advanceSubscription(em, subscriptionId, outcome);
      em.changed();
      return sub;
    },
  };
  return createHttpServer(em, router, actions);
}
