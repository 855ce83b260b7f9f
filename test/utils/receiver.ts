import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** The parsed event. */
  event: { id: string; type: string; data: { object: Record<string, any> }; previous: { status?: string | null } | null };
  at: number;
}

/** What the receiver answers to its n-th request (0-based): a status, or 'hang' to never answer. */
export type Reply = (request: Received, n: number) => number | 'hang';

export interface Receiver {
  url: string;
  received: Received[];
  /** Replace the answer policy (default 200). */
  reply(policy: Reply): void;
  /** Requests whose answer is being held ('hang'); answer them all with `status` (or what it says for each). */
  release(status?: number | ((request: Received) => number)): void;
  held(): number;
  close(): Promise<void>;
}

/** A real HTTP receiver of our signed webhooks, recording every request. */
export async function startReceiver(path = '/hooks'): Promise<Receiver> {
  const received: Received[] = [];
  let policy: Reply = () => 200;
  const hanging: Array<{ request: Received; respond: (status: number) => void }> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const request: Received = { headers: req.headers, body, event: JSON.parse(body), at: Date.now() };
      received.push(request);
      const answer = policy(request, received.length - 1);
      const respond = (status: number) => res.writeHead(status, { 'content-type': 'text/plain' }).end(String(status));
      if (answer === 'hang') hanging.push({ request, respond });
      else respond(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    received,
    reply: (p) => (policy = p),
    release: (status = 200) =>
      hanging.splice(0).forEach(({ request, respond }) => respond(typeof status === 'number' ? status : status(request))),
    held: () => hanging.length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Verifies a received delivery exactly as a receiver would, with the `standardwebhooks` package; throws if it does not verify. */
export function verify(secret: string, request: Received): unknown {
  return new Webhook(secret).verify(request.body, {
    'webhook-id': String(request.headers['webhook-id']),
    'webhook-timestamp': String(request.headers['webhook-timestamp']),
    'webhook-signature': String(request.headers['webhook-signature']),
  });
}
