import { Inject } from '@nestjs/common';

/** Injection token of the configured `Stripe` client. */
export const STRIPE_CLIENT = Symbol('STRIPE_CLIENT');

/** Injects the one configured `Stripe` client: `constructor(@InjectStripe() private readonly stripe: Stripe) {}`. */
export const InjectStripe = (): ParameterDecorator => Inject(STRIPE_CLIENT);

/** The API version this service is written and tested against; changing it is a code change. */
export const STRIPE_API_VERSION = '2026-10-28.endive' as const;
