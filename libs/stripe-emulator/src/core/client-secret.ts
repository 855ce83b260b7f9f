import { StripeApiError } from './errors';
import { Call } from './router';
import { Kinds } from './store';
import { Emulator } from './emulator';

/**
 * Finds an intent for a call. With a publishable key (a browser) the object's client secret must come
 * along, and a wrong or missing one answers 404 as if the object did not exist, as Stripe does.
 * The secret is removed from the parameters either way, so the route's own checks never see it.
 */
export function findForCall<K extends 'payment_intent' | 'setup_intent'>(em: Emulator, call: Call, object: K): Kinds[K] {
  const { client_secret: secret, ...rest } = call.params;
  for (const key of Object.keys(call.params)) delete call.params[key];
  Object.assign(call.params, rest);
  const found = em.store.find(call.path.id, object, 'intent');
  if (call.key === 'publishable' && (typeof secret !== 'string' || secret !== found.client_secret)) {
    throw new StripeApiError(404, `No such ${object}: '${call.path.id}'`, {
      code: 'resource_missing',
      param: 'intent',
    });
  }
  return found;
}
