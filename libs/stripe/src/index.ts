export { StripeModule } from './stripe.module';
export type { StripeModuleOptions } from './stripe-options';
export { STRIPE_CLIENT, InjectStripe, STRIPE_API_VERSION } from './stripe.constants';
export { StripeContext } from './stripe-context';
export type { DemoPrice, StripeMode } from './stripe-context';
export { stripeErrorToProblem } from './stripe-error-to-problem';
export type { StripeProblem } from './stripe-error-to-problem';
export { stripeOperation } from './stripe-attempts';
export type { StripeAttempt, StripeAttemptOutcome } from './stripe-attempts';
