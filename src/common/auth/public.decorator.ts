import { declareAccess } from './required-scope.decorator';

/** The only way a route opts out of API-key authentication (health, Stripe's webhook delivery). */
export const Public = () => declareAccess({ public: true });
