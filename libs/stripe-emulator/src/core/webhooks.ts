import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Emulator } from './emulator';
import type { EventObject, WebhookEndpointObject } from './objects';

export interface DeliveryLogEntry {
  eventId: string;
  type: string;
  endpointId: string;
  url: string;
  attempt: number;
  status: number | null;
  error: string | null;
  time: number;
}

export function signPayload(secret: string, timestamp: number, payload: string): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${payload}`).digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

export function endpointWants(endpoint: WebhookEndpointObject, type: string): boolean {
  return endpoint.enabled_events.some((e) => e === '*' || e === type);
}

/** At-least-once delivery with a bounded retry schedule, like Stripe's test mode. */
export class WebhookDispatcher {
  deliveries: DeliveryLogEntry[] = [];
  private inFlight = new Set<http.ClientRequest>();
  // Answers of requests started before a reset must not leak into the new state.
  private generation = 0;

  constructor(private readonly em: Emulator) {}

  dispatch(event: EventObject): void {
    const targets = this.em.store.list('webhook_endpoint', (e) => endpointWants(e, event.type));
    if (!targets.length) return;
    const meta = this.em.store.meta(event.id);
    meta.pendingEndpoints = targets.map((t) => t.id);
    event.pending_webhooks = targets.length;
    // Delivery starts after the API call that caused the event has answered, as on Stripe.
    for (const endpoint of targets) {
      if (endpoint.status === 'enabled') this.em.schedule(() => this.attempt(event.id, endpoint.id, 1), 0);
    }
  }

  private attempt(eventId: string, endpointId: string, attempt: number): void {
    const event = this.em.store.get(eventId, 'event');
    const endpoint = this.em.store.get(endpointId, 'webhook_endpoint');
    const secret = this.em.store.meta(endpointId).secret; // set when the endpoint is created
    if (!event || !endpoint || endpoint.status !== 'enabled' || !secret) return;
    const body = JSON.stringify(event, null, 2);
    // Receivers check t against their own clock, so /_emulator/clock offsets stay out of it.
    const timestamp = Math.floor(this.em.opts.now() / 1000);
    const url = new URL(endpoint.url);
    const client = url.protocol === 'https:' ? https : http;
    let settled = false;
    const generation = this.generation;
    const finish = (status: number | null, error: string | null) => {
      if (settled) return;
      settled = true;
      this.inFlight.delete(req);
      if (this.em.closed || generation !== this.generation) return;
      this.deliveries.push({
        eventId,
        type: event.type,
        endpointId,
        url: endpoint.url,
        attempt,
        status,
        error,
        time: this.em.nowMs(),
      });
      if (status !== null && status >= 200 && status < 300) return this.succeeded(event, endpointId);
      const delay = this.em.opts.webhookRetryDelaysMs[attempt - 1];
      if (delay !== undefined) this.em.schedule(() => this.attempt(eventId, endpointId, attempt + 1), delay);
    };
    const req = client.request(
      url,
      {
        method: 'POST',
        agent: false,
        timeout: this.em.opts.webhookTimeoutMs,
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'Stripe-Signature': signPayload(secret, timestamp, body),
          'Content-Length': Buffer.byteLength(body),
          Connection: 'close',
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => finish(res.statusCode ?? null, null));
        res.on('error', (err) => finish(res.statusCode ?? null, err.message));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${this.em.opts.webhookTimeoutMs} ms`)));
    req.on('error', (err) => finish(null, err.message));
    this.inFlight.add(req);
    req.end(body);
  }

  private succeeded(event: EventObject, endpointId: string): void {
    const meta = this.em.store.meta(event.id);
    meta.pendingEndpoints = (meta.pendingEndpoints ?? []).filter((id) => id !== endpointId);
    event.pending_webhooks = meta.pendingEndpoints.length;
    this.em.changed();
  }

  reset(): void {
    this.generation++;
    this.close();
    this.deliveries = [];
  }

  close(): void {
    for (const req of this.inFlight) req.destroy();
    this.inFlight.clear();
  }
}
