import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Webhook } from 'standardwebhooks';
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

const signers = new Map<string, Webhook>();
function signer(secret: string): Webhook {
  let webhook = signers.get(secret);
  if (!webhook) {
    if (signers.size > 1000) signers.clear();
    webhook = new Webhook(secret);
    signers.set(secret, webhook);
  }
  return webhook;
}

/**
 * Standard Webhooks headers for one attempt: the id is the event id (identical on every retry), the
 * timestamp is the attempt's, and one `v1,<sig>` per secret (two while a rotated-out secret still signs).
 */
export function signatureHeaders(eventId: string, body: string, secrets: string[], now = new Date()): Record<string, string> {
  return {
    'webhook-id': eventId,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': secrets.map((s) => signer(s).sign(eventId, now, body)).join(' '),
  };
}

/** POSTs `body`; 2xx within `timeoutMs` (whole answer) is success. Redirects are failures, never followed. */
export function postSigned(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<PostResult> {
  const started = performance.now();
  const target = new URL(url);
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
