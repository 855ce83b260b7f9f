import http from 'node:http';
import { Emulator } from './core/emulator';
import { StripeApiError } from './core/errors';
import { newId } from './core/ids';
import { StripeObject } from './core/store';

/** Test-only transitions that Stripe drives itself (3-D Secure page, refund settlement, billing clock). */
export interface TestActions {
  authenticate(intentId: string, success: boolean): { intent: StripeObject; returnUrl: string | null };
  settleRefund(refundId: string): StripeObject;
  advanceSubscription(subscriptionId: string, outcome?: string): StripeObject;
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body, null, 2));
}

function parseJson(raw: string): Record<string, any> {
  if (!raw.trim()) return {};
  try {
    return JSON.parse(raw);
  } catch {
    // Forms are accepted too, so `curl -d outcome=fail` works.
    return Object.fromEntries(new URLSearchParams(raw));
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function handleEmulatorRoute(
  em: Emulator,
  actions: TestActions,
  method: string,
  url: URL,
  raw: string,
  res: http.ServerResponse,
): void {
  res.setHeader('Request-Id', newId('req'));
  const path = url.pathname.replace(/\/+$/, '');
  const body = parseJson(raw);
  const segments = path.split('/').slice(2);
  const route = `${method} /${segments[0] ?? ''}`;
  try {
    switch (route) {
      case 'POST /faults':
        return json(res, 201, em.faults.add(body));
      case 'DELETE /faults':
        em.faults.clear();
        return json(res, 200, { deleted: true });
      case 'GET /requests':
        return json(res, 200, { data: em.requestLog });
      case 'DELETE /requests':
        em.requestLog = [];
        return json(res, 200, { deleted: true });
      case 'GET /webhook_deliveries':
        return json(res, 200, { data: em.webhooks.deliveries });
      case 'POST /reset':
        em.reset();
        return json(res, 200, { reset: true });
      case 'POST /clock':
        em.advanceClock(Number(body.advanceSeconds ?? 0));
        return json(res, 200, { now: em.nowSec() });
      case 'GET /clock':
        return json(res, 200, { now: em.nowSec() });
      case 'GET /objects': {
        const found = em.store.get(segments[1] ?? '');
        return found
          ? json(res, 200, found)
          : json(res, 404, {
              error: {
                type: 'invalid_request_error',
                code: 'resource_missing',
                message: `No such object: '${segments[1]}'`,
              },
            });
      }
      case 'GET /3ds':
        return threeDSecure(actions, segments[1], url.searchParams.get('result'), res);
      case 'POST /refunds':
        if (segments[2] === 'settle') return json(res, 200, actions.settleRefund(segments[1]));
        break;
      case 'POST /subscriptions':
        if (segments[2] === 'advance') return json(res, 200, actions.advanceSubscription(segments[1], body.outcome));
        break;
    }
    json(res, 404, {
      error: { type: 'invalid_request_error', message: `Unrecognized emulator route (${method}: ${path}).` },
    });
  } catch (err) {
    if (err instanceof StripeApiError) return json(res, err.status, err.toBody());
    throw err;
  }
}

function threeDSecure(actions: TestActions, intentId: string, result: string | null, res: http.ServerResponse): void {
  if (result !== 'success' && result !== 'failure') {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(
      `<!doctype html><title>3-D Secure test page</title><h1>Emulated 3-D Secure for ${escapeHtml(intentId)}</h1>` +
        `<p><a href="?result=success">Complete authentication</a> | <a href="?result=failure">Fail authentication</a></p>`,
    );
    return;
  }
  const { intent, returnUrl } = actions.authenticate(intentId, result === 'success');
  if (returnUrl) {
    const target = new URL(returnUrl);
    target.searchParams.set('payment_intent', intent.id);
    target.searchParams.set('payment_intent_client_secret', intent.client_secret);
    target.searchParams.set('redirect_status', intent.status === 'requires_payment_method' ? 'failed' : 'succeeded');
    res.writeHead(302, { Location: target.toString() });
    res.end();
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(
    `<!doctype html><title>3-D Secure</title><p>Authentication ${result === 'success' ? 'completed' : 'failed'}. PaymentIntent ${escapeHtml(intent.id)} is now ${escapeHtml(intent.status)}.</p>`,
  );
}
