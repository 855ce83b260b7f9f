import http from 'node:http';
import qs from 'qs';
import { Emulator, API_VERSION } from './core/emulator';
import { StripeApiError } from './core/errors';
import { Fault, RequestLogEntry, faultBody } from './core/faults';
import { newId } from './core/ids';
import { Params } from './core/params';
import { KeyKind, Router } from './core/router';
import { expand } from './core/expand';
import { checkParams, complete } from './core/shapes';
import { TestActions, handleEmulatorRoute } from './emulator-routes';

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function apiKeyOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value] = header.split(' ');
  if (scheme === 'Bearer') return value;
  if (scheme === 'Basic' && value) return Buffer.from(value, 'base64').toString().split(':')[0];
  return undefined;
}

function keyKind(apiKey: string | undefined): KeyKind | undefined {
  if (apiKey?.startsWith('sk_test_')) return 'secret';
  if (apiKey?.startsWith('pk_test_')) return 'publishable';
  return undefined;
}

function invalidKeyMessage(apiKey: string | undefined): string {
  if (/^(sk|pk)_live_/.test(apiKey ?? '')) {
    return 'This emulator only accepts test mode keys (sk_test_... or pk_test_...); a live key was provided.';
  }
  return apiKey
    ? `Invalid API Key provided: ${apiKey.slice(0, 8)}${'*'.repeat(Math.max(0, apiKey.length - 12))}${apiKey.slice(-4)}`
    : "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').";
}

/** Stripe.js adds these to its publishable-key calls; the server SDK's params types do not declare them. */
const STRIPE_JS_FIELDS = ['client_secret', 'payment_user_agent', 'time_on_page', 'guid', 'muid', 'sid', 'referrer', 'use_stripe_sdk'];

function withoutStripeJsFields(params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    if (STRIPE_JS_FIELDS.includes(k)) continue;
    out[k] = v && typeof v === 'object' && !Array.isArray(v) ? withoutStripeJsFields(v as Record<string, unknown>) : v;
  }
  return out;
}

/** Browsers call the API straight from a checkout page (Stripe.js does), so every /v1 answer allows it. */
const CORS_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, Idempotency-Key, Stripe-Version',
  'Access-Control-Expose-Headers': 'Request-Id, Stripe-Should-Retry',
  'Access-Control-Max-Age': '300',
};

function errorReply(err: StripeApiError, requestId: string, extraHeaders: Record<string, string> = {}): Reply {
  return {
    status: err.status,
    body: JSON.stringify(err.toBody(requestId), null, 2),
    headers: { ...extraHeaders, ...(err.init.headers ?? {}) },
  };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function createHttpServer(em: Emulator, router: Router, actions: TestActions): http.Server {
  return http.createServer((req, res) => {
    handle(em, router, actions, req, res).catch((err) => {
      em.opts.logger.warn(`stripe-emulator: ${(err as Error).stack ?? err}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
}

async function handle(em: Emulator, router: Router, actions: TestActions, req: http.IncomingMessage, res: http.ServerResponse) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const raw = await readBody(req);
  if (url.pathname.startsWith('/_emulator/')) {
    return handleEmulatorRoute(em, actions, req.method ?? 'GET', url, raw, res);
  }
  const method = req.method ?? 'GET';
  if (method === 'OPTIONS' && url.pathname.startsWith('/v1/')) {
    res.writeHead(204, CORS_HEADERS).end();
    return;
  }
  const requestId = newId('req');
  const idempotencyKey = method === 'POST' ? ((req.headers['idempotency-key'] as string) ?? null) : null;
  const entry: RequestLogEntry = {
    id: requestId,
    method,
    path: url.pathname,
    idempotencyKey,
    status: null,
    replayed: false,
    faulted: false,
    time: em.nowMs(),
  };
  em.requestLog.push(entry);
  const fault = url.pathname.startsWith('/v1/') ? em.faults.take(method, url.pathname) : undefined;
  if (fault) entry.faulted = true;
  const baseHeaders: Record<string, string> = {
    ...CORS_HEADERS,
    'Request-Id': requestId,
    'Stripe-Version': API_VERSION,
  };
  if (idempotencyKey) baseHeaders['Idempotency-Key'] = idempotencyKey;

  const answersEarly = fault && !fault.afterExecute && (fault.status !== undefined || fault.drop);
  let reply: Reply | undefined;
  if (answersEarly) {
    if (fault.latencyMs) await sleep(fault.latencyMs);
  } else {
    reply = await execute(em, router, req, url, raw, method, requestId, idempotencyKey, fault, entry);
  }
  if (fault && (answersEarly || fault.afterExecute)) {
    if (fault.drop) {
      entry.status = null;
      req.socket.destroy();
      return;
    }
    if (fault.status !== undefined) {
      reply = {
        status: fault.status,
        body: JSON.stringify(faultBody(fault, requestId), null, 2),
        headers: fault.headers ?? {},
      };
    }
  }
  entry.status = reply!.status;
  res.writeHead(reply!.status, {
    'Content-Type': 'application/json',
    ...baseHeaders,
    ...reply!.headers,
    // Stripe dates its answers and its events by one clock; so do we (the clock /_emulator/clock advances),
    // at answer time: an event made during the call is never newer than the answer.
    Date: new Date(em.nowMs()).toUTCString(),
  });
  res.end(reply!.body);
}

async function execute(
  em: Emulator,
  router: Router,
  req: http.IncomingMessage,
  url: URL,
  raw: string,
  method: string,
  requestId: string,
  idempotencyKey: string | null,
  fault: Fault | undefined,
  entry: RequestLogEntry,
): Promise<Reply> {
  const query = qs.parse(url.search.slice(1), { depth: 10, arrayLimit: 1000 });
  const body = method === 'GET' ? {} : qs.parse(raw, { depth: 10, arrayLimit: 1000 });
  const params: Params = { ...query, ...body };
  // Stripe.js sends its publishable key as a `key` parameter, which spares browsers a CORS preflight.
  const bodyKey = typeof params.key === 'string' ? params.key : undefined;
  delete params.key;
  const apiKey = apiKeyOf(req.headers.authorization) ?? bodyKey;
  const kind = keyKind(apiKey);
  if (!kind) return errorReply(new StripeApiError(401, invalidKeyMessage(apiKey)), requestId);
  const route = router.match(method, url.pathname);
  if (!route) {
    return errorReply(new StripeApiError(404, `Unrecognized request URL (${method}: ${url.pathname}).`), requestId);
  }
  if (kind === 'publishable' && !route.publishable) {
    return errorReply(
      new StripeApiError(
        401,
        'This API call cannot be made with a publishable API key. Please use a secret API key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys.',
      ),
      requestId,
    );
  }
  try {
    checkParams(kind === 'publishable' ? withoutStripeJsFields(params) : params, route.shape.params);
  } catch (err) {
    if (err instanceof StripeApiError) return errorReply(err, requestId);
    throw err;
  }
  if (idempotencyKey) {
    const lookup = em.idempotency.begin(apiKey!, idempotencyKey, `${method} ${url.pathname} ${canonical(params)}`);
    if (lookup.kind === 'replay') {
      entry.replayed = true;
      return { ...lookup.response, headers: { ...lookup.response.headers, 'Idempotent-Replayed': 'true' } };
    }
    if (lookup.kind === 'mismatch') {
      return errorReply(
        new StripeApiError(
          400,
          `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
          { type: 'idempotency_error' },
        ),
        requestId,
      );
    }
    if (lookup.kind === 'in_flight') {
      return errorReply(
        new StripeApiError(
          409,
          `There is currently another in-progress request using this Stripe-Idempotency-Key. Please try again later.`,
          { type: 'idempotency_error', code: 'idempotency_key_in_use' },
        ),
        requestId,
      );
    }
  }
  if (fault?.latencyMs) await sleep(fault.latencyMs);
  let reply: Reply;
  try {
    const result = await route.handler({ params, path: route.path, req: { id: requestId, idempotencyKey }, key: kind });
    const body = complete(expand(result, params.expand, em.store), route.shape.returns);
    reply = { status: 200, body: JSON.stringify(body, null, 2), headers: {} };
  } catch (err) {
    if (!(err instanceof StripeApiError)) {
      em.opts.logger.warn(`stripe-emulator: ${(err as Error).stack ?? err}`);
    }
    const apiErr = err instanceof StripeApiError ? err : new StripeApiError(500, 'An unknown error occurred', { type: 'api_error' });
    if (apiErr.init.preExecution && idempotencyKey) {
      em.idempotency.release(apiKey!, idempotencyKey);
      return errorReply(apiErr, requestId);
    }
    reply = errorReply(apiErr, requestId);
  }
  if (idempotencyKey) em.idempotency.finish(apiKey!, idempotencyKey, reply);
  em.changed();
  return reply;
}
