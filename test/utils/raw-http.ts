import { connect, Socket } from 'node:net';

export interface RawExchange {
  socket: Socket;
  /** Resolves with everything the server sent until it closed the connection or `ms` passed. */
  response(ms: number): Promise<{ text: string; closed: boolean; elapsedMs: number }>;
}

/**
 * Opens a TCP connection and writes `head` (request line and headers) as given, for what an HTTP client
 * library will not send: a declared body that never comes, headers dribbled byte by byte.
 */
export function rawRequest(url: string, head: string): Promise<RawExchange> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      const started = Date.now();
      let text = '';
      let closed = false;
      socket.on('data', (d) => (text += d));
      const ended = new Promise<void>((r) => socket.once('close', () => ((closed = true), r())));
      socket.on('error', () => undefined);
      if (head) socket.write(head);
      resolve({
        socket,
        response: async (ms) => {
          const deadline = Date.now() + ms;
          // Done at the first complete answer (headers plus the body its Content-Length announces) or at close.
          while (!closed && Date.now() < deadline && !complete(text)) await Promise.race([ended, new Promise((r) => setTimeout(r, 10))]);
          return { text, closed, elapsedMs: Date.now() - started };
        },
      });
    });
    socket.once('error', reject);
  });
}

function complete(text: string): boolean {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const length = /content-length:\s*(\d+)/i.exec(text.slice(0, end));
  return length ? Buffer.byteLength(text.slice(end + 4)) >= Number(length[1]) : false;
}
