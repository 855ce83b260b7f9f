import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createHmac } from 'node:crypto';
import { guardedLookup } from './endpoint-url';

export interface PostResult {
  ok: boolean;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
}

// Keep-alive sockets per receiver; the lookup refuses names that resolve to metadata/link-local addresses.
const agents = {
  'http:': new HttpAgent({ keepAlive: true, lookup: guardedLookup }),
  'https:': new HttpsAgent({ keepAlive: true, lookup: guardedLookup }),
};

// A secret's key bytes: whsec_ + base64, as the standardwebhooks package reads it.
const keys = new Map<string, Buffer>();
function keyOf(secret: string): Buffer {
  let key = keys.get(secret);
  if (!key) {
    if (keys.size > 1000) keys.clear();
    key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
    keys.set(secret, key);
  }
  return key;
}

/**
 * Standard Webhooks headers for one attempt: the id is the event id (identical on every retry), the
 * timestamp is the attempt's, and one `v1,<sig>` per secret (two while a rotated-out secret still signs).
 * The signature is the standardwebhooks package's (base64 HMAC-SHA256 of "id.timestamp.body"; the tests
 * verify with that package), computed with node's native HMAC: the package's pure-JS SHA-256 took ~40 µs
 * per 2 KB event, about 8 times as long.
 */
export function signatureHeaders(eventId: string, body: string, secrets: string[], now = new Date()): Record<string, string> {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const signed = `${eventId}.${timestamp}.${body}`;
  return {
    'webhook-id': eventId,
    'webhook-timestamp': timestamp,
    'webhook-signature': secrets.map((s) => `v1,${createHmac('sha256', keyOf(s)).update(signed).digest('base64')}`).join(' '),
  };
}

/** POSTs `body`; 2xx within `timeoutMs` (whole answer) is success. Redirects are failures, never followed. */
export function postSigned(target: URL, headers: Record<string, string>, body: string, timeoutMs: number): Promise<PostResult> {
  const started = performance.now();
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<PostResult>((resolve) => {
    let settled = false;
    const finish = (statusCode: number | null, error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const ok = error === null && statusCode !== null && statusCode >= 200 && statusCode < 300;
      resolve({ ok, statusCode, durationMs: Math.round(performance.now() - started), error });
    };
    const req = send(
      target,
      {
        method: 'POST',
        agent: agents[target.protocol as keyof typeof agents],
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'payments-service-webhooks/1',
          ...headers,
        },
      },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? null;
        res.resume();
        res.on('end', () =>
          finish(
            status,
            status !== null && status >= 300 && status < 400 ? `redirect to ${res.headers.location ?? '?'} not followed` : null,
          ),
        );
        res.on('error', (err) => finish(status, err.message));
      },
    );
    const timer = setTimeout(() => {
      finish(null, `no complete answer within ${timeoutMs / 1000}s`);
      req.destroy();
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => finish(null, err.code ? `${err.code}: ${err.message}` : err.message));
    req.end(body);
  });
}
