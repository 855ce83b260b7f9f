import { Params } from './params';
import { RouteShape, routeKey } from './shape-types';
import { routeShape } from './shapes';

export interface RequestInfo {
  id: string | null;
  idempotencyKey: string | null;
}

/** Which kind of key made the call: publishable keys reach only the routes Stripe.js uses. */
export type KeyKind = 'secret' | 'publishable';

export interface Call {
  params: Params;
  path: Record<string, string>;
  req: RequestInfo;
  key: KeyKind;
}

export type Handler = (call: Call) => unknown;

interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: Handler;
  publishable: boolean;
  shape: RouteShape;
}

export interface RouteMatch {
  handler: Handler;
  path: Record<string, string>;
  publishable: boolean;
  /** The SDK method's declared params and result, generated from the pinned `stripe` package. */
  shape: RouteShape;
}

/**
 * Every `/v1` route is one SDK method: its parameters and its answer follow that method's declared types.
 * A route the generated shapes do not know fails at start-up (run `npm run emulator:shapes`).
 */
export class Router {
  private routes: Route[] = [];

  /** `publishable`: the route also answers a publishable key (the handler checks the client secret). */
  add(method: string, path: string, handler: Handler, options: { publishable?: boolean } = {}): void {
    const shape = routeShape(routeKey(method, path));
    if (!shape) {
      throw new Error(`stripe-emulator: ${method} ${path} has no generated shape; run \`npm run emulator:shapes\` after adding a route`);
    }
    const keys: string[] = [];
    const source = path.replace(/:(\w+)/g, (_, key: string) => {
      keys.push(key);
      return '([^/]+)';
    });
    this.routes.push({ method, pattern: new RegExp(`^${source}$`), keys, handler, publishable: options.publishable ?? false, shape });
  }

  match(method: string, path: string): RouteMatch | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const m = route.pattern.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1])));
      return { handler: route.handler, path: params, publishable: route.publishable, shape: route.shape };
    }
    return undefined;
  }
}
