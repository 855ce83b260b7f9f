import { Inject, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registerErrorMapper } from '../../../src/common/errors/to-problem';
import { STRIPE_CLIENT } from './stripe.constants';
import { ConfigurableModuleClass, STRIPE_MODULE_OPTIONS } from './stripe.module-definition';
import { StripeContext } from './stripe-context';
import { stripeErrorToProblem } from './stripe-error-to-problem';
import type { StripeModuleOptions } from './stripe-options';
import { createStripeRuntime, StripeRuntime } from './stripe-runtime';

const STRIPE_RUNTIME = Symbol('STRIPE_RUNTIME');

registerErrorMapper(stripeErrorToProblem);

/**
 * Provides one configured `Stripe` client (`@InjectStripe()`) and the {@link StripeContext}.
 * Without a secret key (never in production) it runs an in-process emulator (sandbox mode) and,
 * once the HTTP server listens, registers `webhookPath` with it through `POST /v1/webhook_endpoints`.
 */
@Module({
  providers: [
    {
      provide: STRIPE_RUNTIME,
      inject: [STRIPE_MODULE_OPTIONS],
      useFactory: (options: StripeModuleOptions) => createStripeRuntime(options),
    },
    { provide: STRIPE_CLIENT, inject: [STRIPE_RUNTIME], useFactory: (runtime: StripeRuntime) => runtime.client },
    { provide: StripeContext, inject: [STRIPE_RUNTIME], useFactory: (runtime: StripeRuntime) => runtime.context },
  ],
  exports: [STRIPE_CLIENT, StripeContext],
})
export class StripeModule extends ConfigurableModuleClass implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Stripe');

  constructor(
    @Inject(STRIPE_RUNTIME) private readonly runtime: StripeRuntime,
    @Inject(STRIPE_MODULE_OPTIONS) private readonly options: StripeModuleOptions,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    super();
    // Our credentials were refused: an operator must act. Logged here, from Stripe's response metadata,
    // so the error log carries no part of the key (Stripe's message echoes a masked one).
    runtime.client.on('response', (event: { status: number; request_id?: string; method: string; path: string }) => {
      if (event.status === 401 || event.status === 403) {
        this.logger.error(
          `Stripe refused our credentials (HTTP ${event.status}) on ${event.method} ${event.path}, request ${event.request_id ?? 'unknown'}: check STRIPE_SECRET_KEY and its permissions`,
        );
      }
    });
  }

  onApplicationBootstrap() {
    const { emulator, context } = this.runtime;
    if (!emulator) return;
    this.logger.warn(
      `SANDBOX MODE: no STRIPE_SECRET_KEY, so Stripe calls go to an in-process emulator at ${emulator.url}. No real money moves.`,
    );
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server) return;
    // The port is only known once the server listens (port 0 in tests), hence the 'listening' event.
    context.webhookEndpointReady = new Promise<void>((resolve) => {
      const register = () => void this.registerWebhookEndpoint(server).finally(resolve);
      if (server.listening) register();
      else server.once('listening', register);
    });
  }

  async onApplicationShutdown() {
    await this.runtime.emulator?.close();
  }

  private async registerWebhookEndpoint(server: Server) {
    const address = server.address() as AddressInfo | null;
    if (!address) return;
    const host =
      address.family === 'IPv6'
        ? `[${address.address === '::' ? '::1' : address.address}]`
        : address.address === '0.0.0.0'
          ? '127.0.0.1'
          : address.address;
    const url = `http://${host}:${address.port}${this.options.webhookPath ?? '/v1/webhooks/stripe'}`;
    const description = 'payments-service (sandbox)';
    // A sandbox restarted on its saved state keeps its endpoint and secret (events already signed with it still verify).
    const kept = this.runtime.emulator?.reuseWebhookEndpoint(description, url);
    if (kept) {
      this.runtime.context.webhookSecrets.push(kept.secret);
      this.logger.log(`Sandbox webhook endpoint ${kept.id} (from the saved sandbox state) now targets ${url}`);
      return;
    }
    try {
      const endpoint = await this.runtime.client.webhookEndpoints.create({
        url,
        enabled_events: (this.options.webhookEvents ?? ['*']) as never,
        description,
      });
      if (endpoint.secret) this.runtime.context.webhookSecrets.push(endpoint.secret);
      this.logger.log(`Sandbox webhook endpoint ${endpoint.id} registered for ${url}`);
    } catch (error) {
      this.logger.error(`Could not register the sandbox webhook endpoint (${url}): ${(error as Error).message}`);
    }
  }
}
