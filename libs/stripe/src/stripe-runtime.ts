import Stripe from 'stripe';
import { startStripeEmulator, StripeEmulator } from '@app/stripe-emulator';
import { STRIPE_API_VERSION } from './stripe.constants';
import { ObservedHttpClient } from './stripe-attempts';
import { StripeContext } from './stripe-context';
import type { StripeModuleOptions } from './stripe-options';

/** Everything the module builds once at boot. */
export interface StripeRuntime {
  client: Stripe;
  context: StripeContext;
  emulator?: StripeEmulator;
}

/** Refuses configurations where real money could meet a fake or redirected API (also checked by env validation). */
export function assertSafeConfiguration(options: StripeModuleOptions): void {
  const live = /^(sk|rk)_live_/.test(options.secretKey ?? '');
  if (live && options.apiBaseUrl) throw new Error('Stripe: a live secret key cannot be combined with an API base URL override.');
  if (!options.secretKey && options.production)
    throw new Error('Stripe: STRIPE_SECRET_KEY is required in production; sandbox mode is for development only.');
  if (!options.secretKey && options.publishableKey?.startsWith('pk_live_'))
    throw new Error('Stripe: a live publishable key cannot be used in sandbox mode.');
}

export async function createStripeRuntime(options: StripeModuleOptions): Promise<StripeRuntime> {
  assertSafeConfiguration(options);
  const sandbox = !options.secretKey;
  const emulator = sandbox ? await startStripeEmulator({ port: 0, persistPath: options.sandboxStatePath }) : undefined;
  const secretKey = options.secretKey ?? emulator!.secretKey;
  const baseUrl = emulator?.url ?? options.apiBaseUrl;
  const live = /^(sk|rk)_live_/.test(secretKey);

  const client = new Stripe(secretKey, {
    apiVersion: STRIPE_API_VERSION,
    appInfo: options.appInfo ?? { name: 'payments-service' },
    maxNetworkRetries: options.maxNetworkRetries ?? 2,
    timeout: options.timeoutMs ?? 20000,
    telemetry: false,
    ...(options.onAttempt ? { httpClient: new ObservedHttpClient(Stripe.createNodeHttpClient(), options.onAttempt) } : {}),
    ...(baseUrl ? hostOptions(baseUrl) : {}),
  });

  const context = new StripeContext();
  context.mode = sandbox ? 'sandbox' : live ? 'live' : 'test';
  context.livemode = live;
  context.webhookSecrets = [...(options.webhookSecrets ?? [])];
  context.publishableKey = options.publishableKey ?? emulator?.publishableKey ?? null;
  if (baseUrl) context.emulatorUrl = baseUrl;
  if (emulator) {
    // A newcomer can subscribe at once (Swagger's example uses the monthly one): same ids in every sandbox.
    const { product, prices } = emulator.seedDemoCatalog();
    context.demoPrices = prices.map(({ id, unitAmount, currency, interval }) => ({
      id,
      productId: product.id,
      productName: product.name,
      unitAmount,
      currency,
      interval,
    }));
  }
  return { client, context, emulator };
}

function hostOptions(baseUrl: string): Pick<Stripe.StripeConfig, 'host' | 'port' | 'protocol'> {
  const url = new URL(baseUrl);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { host: url.hostname, port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443, protocol };
}
