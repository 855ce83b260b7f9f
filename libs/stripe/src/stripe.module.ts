import { Inject, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EMULATOR_NAME } from '@app/stripe-emulator';
import { registerErrorMapper } from '../../../src/common/errors/to-problem';
import { STRIPE_CLIENT } from './stripe.constants';
import { ConfigurableModuleClass, STRIPE_MODULE_OPTIONS } from './stripe.module-definition';
import { StripeContext } from './stripe-context';
import { stripeErrorToProblem } from './stripe-error-to-problem';
import type { StripeModuleOptions } from './stripe-options';
import { createStripeRuntime, StripeRuntime } from './stripe-runtime';

const STRIPE_RUNTIME = Symbol('STRIPE_RUNTIME');

registerErrorMapper(stripeErrorToProblem);

async function isOurEmulator(baseUrl: string): Promise<boolean> {
  try {
    const res = await fetch(new URL('/_emulator/info', baseUrl), { signal: AbortSignal.timeout(3000) });
    return res.ok && ((await res.json()) as { emulator?: string }).emulator === EMULATOR_NAME;
  } catch {
    return false;
  }
}

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
    // A server named by STRIPE_API_BASE_URL without STRIPE_WEBHOOK_SECRET (with one, its endpoint was registered by
    // whoever configured it, as tests that deliver events themselves do): registered there if it is our emulator.
    const standalone = !emulator && !!this.options.apiBaseUrl && context.mode === 'test' && !context.webhookSecrets.length;
    if (!emulator && !standalone) return;
    if (emulator)
      this.logger.warn(
        `SANDBOX MODE: no STRIPE_SECRET_KEY, so Stripe calls go to an in-process emulator at ${emulator.url}. No real money moves.`,
      );
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server) return;
    // The port is only known once the server listens (port 0 in tests), hence the 'listening' event.
    context.webhookEndpointReady = new Promise<void>((resolve) => {
      const register = () =>
        void (emulator ? this.registerWebhookEndpoint(server) : this.registerAtStandaloneEmulator(server)).finally(resolve);
      if (server.listening) register();
      else server.once('listening', register);
    });
  }

  async onApplicationShutdown() {
    await this.runtime.emulator?.close();
  }

  private async registerWebhookEndpoint(server: Server) {
    const url = this.webhookUrl(server);
    if (!url) return;
    const description = 'payments-service (sandbox)';
    // A sandbox restarted on its saved state keeps its endpoint and secret (events already signed with it still verify).
    const kept = this.runtime.emulator?.reuseWebhookEndpoint(description, url);
    if (kept) {
      this.runtime.context.webhookSecrets.push(kept.secret);
      this.logger.log(`Sandbox webhook endpoint ${kept.id} (from the saved sandbox state) now targets ${url}`);
      return;
    }
    await this.createWebhookEndpoint(url, description, 'Sandbox');
  }

  /**
   * STRIPE_API_BASE_URL names a Stripe-compatible server. If it is this project's emulator (`GET /_emulator/info`),
   * our endpoint is registered there as in the sandbox, replacing the one an earlier boot registered for the same
   * URL (its secret was this process's predecessor's). Anything else cannot be registered with: without a
   * configured secret no event would ever verify, which is said at boot instead of discovered later.
   */
  private async registerAtStandaloneEmulator(server: Server) {
    const url = this.webhookUrl(server);
    const base = this.options.apiBaseUrl!;
    if (!url) return;
    if (!(await isOurEmulator(base))) {
      this.logger.warn(
        `STRIPE_API_BASE_URL ${base} is not this project's Stripe emulator and STRIPE_WEBHOOK_SECRET is unset: no webhook endpoint is registered there, ` +
          `so no event will arrive (3-D Secure payments stay requires_action until ?sync=true). Register ${url} at that server and set STRIPE_WEBHOOK_SECRET.`,
      );
      return;
    }
    const description = 'payments-service (standalone emulator)';
    try {
      const earlier = await this.runtime.client.webhookEndpoints.list({ limit: 100 });
      for (const endpoint of earlier.data)
        if (endpoint.description === description && endpoint.url === url) await this.runtime.client.webhookEndpoints.del(endpoint.id);
    } catch (error) {
      this.logger.error(`Could not list the emulator's webhook endpoints at ${base}: ${(error as Error).message}`);
      return;
    }
    await this.createWebhookEndpoint(url, description, `Emulator (${base})`);
  }

  private webhookUrl(server: Server): string | undefined {
    const address = server.address() as AddressInfo | null;
    if (!address) return undefined;
    const host =
      address.family === 'IPv6'
        ? `[${address.address === '::' ? '::1' : address.address}]`
        : address.address === '0.0.0.0'
          ? '127.0.0.1'
          : address.address;
    return `http://${host}:${address.port}${this.options.webhookPath ?? '/v1/webhooks/stripe'}`;
  }

  private async createWebhookEndpoint(url: string, description: string, label: string) {
    try {
      const endpoint = await this.runtime.client.webhookEndpoints.create({
        url,
        enabled_events: (this.options.webhookEvents ?? ['*']) as never,
        description,
      });
      if (endpoint.secret) this.runtime.context.webhookSecrets.push(endpoint.secret);
      this.logger.log(`${label} webhook endpoint ${endpoint.id} registered for ${url}`);
    } catch (error) {
      this.logger.error(`Could not register the ${label.toLowerCase()} webhook endpoint (${url}): ${(error as Error).message}`);
    }
  }
}
