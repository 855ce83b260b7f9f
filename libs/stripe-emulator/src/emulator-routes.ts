import http from 'node:http';
import { Emulator } from './core/emulator';
import { StripeApiError } from './core/errors';
import { newId } from './core/ids';
import type { SubscriptionObject } from './core/billing-objects';
import type { PaymentIntentObject, RefundObject, SetupIntentObject } from './core/objects';

/** What `GET /_emulator/info` answers as `emulator`: this project's Stripe emulator. */
export const EMULATOR_NAME = 'payments-service stripe-emulator';

/** Test-only transitions that Stripe drives itself (3-D Secure page, refund settlement, billing clock). */
export interface TestActions {
  authenticate(intentId: string, success: boolean): { intent: PaymentIntentObject | SetupIntentObject; returnUrl: string | null };
  settleRefund(refundId: string): RefundObject;
  advanceSubscription(subscriptionId: string, outcome?: string): SubscriptionObject;
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body, null, 2));
}

function parseJson(raw: string): Record<string, unknown> {
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
      case 'GET /info':
        // Lets a service pointed here by STRIPE_API_BASE_URL know it talks to this emulator (and may register its webhook endpoint).
        return json(res, 200, { emulator: EMULATOR_NAME, url: em.baseUrl });
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
        if (body.hold !== undefined) em.holdClock(String(body.hold) === 'true');
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
      case 'POST /3ds':
        return threeDSecure(actions, segments[1], typeof body.result === 'string' ? body.result : null, res);
      case 'POST /refunds':
        if (segments[2] === 'settle') return json(res, 200, actions.settleRefund(segments[1]));
        break;
      case 'POST /subscriptions':
        if (segments[2] === 'advance')
          return json(res, 200, actions.advanceSubscription(segments[1], typeof body.outcome === 'string' ? body.outcome : undefined));
        break;
    }
    json(res, 404, {
      error: { type: 'invalid_request_error', message: `Unrecognized emulator route (${method}: ${path}).` },
    });
  } catch (err) {
    if (err instanceof StripeApiError) return json(res, err.status, err.toBody(String(res.getHeader('Request-Id'))));
    throw err;
  }
}

/**
 * Stands in for the bank's 3-D Secure challenge at `next_action.redirect_to_url.url`: two buttons,
 * Complete and Fail, post the outcome; then the browser goes back to the return_url with the query
 * parameters Stripe adds (`payment_intent` or `setup_intent`, its client secret, `redirect_status`).
 * `GET ?result=success|failure` does the same for scripts.
 */
function threeDSecure(actions: TestActions, intentId: string, result: string | null, res: http.ServerResponse): void {
  if (result !== 'success' && result !== 'failure') {
    const id = escapeHtml(intentId);
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(
      `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
        `<title>3-D Secure authentication</title>` +
        `<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}` +
        `button{font-size:1rem;padding:.5rem 1.5rem;margin-right:1rem}</style>` +
        `<h1>3-D Secure test page</h1><p>Authenticate <code>${id}</code>: this page stands in for the bank's challenge.</p>` +
        `<form method="post"><button name="result" value="success">Complete</button>` +
        `<button name="result" value="failure">Fail</button></form></html>`,
    );
    return;
  }
  const { intent, returnUrl } = actions.authenticate(intentId, result === 'success');
  if (returnUrl) {
    const kind = intent.object === 'setup_intent' ? 'setup_intent' : 'payment_intent';
    const target = new URL(returnUrl);
    target.searchParams.set(kind, intent.id);
    target.searchParams.set(`${kind}_client_secret`, intent.client_secret);
    target.searchParams.set('redirect_status', intent.status === 'requires_payment_method' ? 'failed' : 'succeeded');
    // Browsers follow a 302 after a POST with a GET, as after the bank's page.
    res.writeHead(302, { Location: target.toString() });
    res.end();
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(
    `<!doctype html><title>3-D Secure</title><p>Authentication ${result === 'success' ? 'completed' : 'failed'}. ${escapeHtml(intent.object)} ${escapeHtml(intent.id)} is now ${escapeHtml(intent.status)}.</p>`,
  );
}
