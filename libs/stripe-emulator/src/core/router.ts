import { Params } from './params';

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
}

export class Router {
  private routes: Route[] = [];

  /** `publishable`: the route also answers a publishable key (the handler checks the client secret). */
  add(method: string, path: string, handler: Handler, options: { publishable?: boolean } = {}): void {
    const keys: string[] = [];
    const source = path.replace(/:(\w+)/g, (_, key: string) => {
      keys.push(key);
      return '([^/]+)';
    });
    this.routes.push({ method, pattern: new RegExp(`^${source}$`), keys, handler, publishable: options.publishable ?? false });
  }

  match(method: string, path: string): { handler: Handler; path: Record<string, string>; publishable: boolean } | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const m = route.pattern.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1])));
      return { handler: route.handler, path: params, publishable: route.publishable };
    }
    return undefined;
  }
}
