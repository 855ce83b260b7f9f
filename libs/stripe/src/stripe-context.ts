/** A price of the sandbox's demo catalog. */
export interface DemoPrice {
  id: string;
  productId: string;
  productName: string;
  unitAmount: number;
  currency: string;
  interval: string;
}

/** What kind of Stripe this process talks to. */
export type StripeMode = 'sandbox' | 'test' | 'live';

/**
 * The Stripe runtime of this process, injectable. `webhookSecrets` is mutable on purpose: in sandbox
 * mode the emulator's endpoint secret is only known after the HTTP server listens and registers.
 */
export class StripeContext {
  mode: StripeMode;
  /** Configured secrets plus, in sandbox mode, the secret the emulator returned for our endpoint. */
  webhookSecrets: string[];
  publishableKey: string | null;
  /** Base URL of the in-process emulator (sandbox) or of the API host override. */
  emulatorUrl?: string;
  livemode: boolean;
  /** Sandbox only: the demo recurring prices the emulator was seeded with (GET /v1/config names them). */
  demoPrices: DemoPrice[] = [];
  /** Resolves once the sandbox webhook endpoint is registered (immediately outside sandbox mode). */
  webhookEndpointReady: Promise<void> = Promise.resolve();
}
