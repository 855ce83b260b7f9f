import { Client } from 'pg';
import { postSigned, signatureHeaders } from '../src/notifications/signed-post';

/** As many POSTs in flight as the service's worker allows per endpoint (NOTIFICATION_MAX_IN_FLIGHT's default). */
const IN_FLIGHT = 128;
const IDLE_MS = 50;

/**
 * The least any outbox delivery can cost (#12's floor, for bench:webhooks:e2e): read the events after a cursor
 * kept in memory, one query per batch, and POST each once, signed like the service's worker does, with no
 * delivery rows, no claims, no records, no retries and no ordering. Not a design: it loses events on a crash. A durable design spends this and more, so a ratio this run cannot reach, no design reaches.
 */
export class FloorSender {
  private cursor = '0';
  private sent = 0;
  private running = false;
  private loop: Promise<void> | undefined;
  private target = new URL('http://127.0.0.1:9/');

  private constructor(
    private readonly db: Client,
    private readonly secret: string,
  ) {}

  static async connect(databaseUrl: string, secret: string): Promise<FloorSender> {
    const db = new Client({ connectionString: databaseUrl });
    db.on('error', () => undefined); // the bench drops its database at the end
    await db.connect();
    return new FloorSender(db, secret);
  }

  /** Sends to `target` the events written from now on (after the newest so far). */
  async start(target: string): Promise<void> {
    this.target = new URL(target);
    this.cursor = (await this.db.query(`SELECT coalesce(max(seq), 0)::text AS s FROM domain_events`)).rows[0].s;
    this.sent = 0;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<number> {
    this.running = false;
    await this.loop;
    return this.sent;
  }

  count(): number {
    return this.sent;
  }

  async close(): Promise<void> {
    await this.stop();
    await this.db.end();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const { rows } = await this.db.query<{ seq: string; id: string; body: string }>(
        // Up to the outbox's horizon (which the service moves in every run): past it, a seq may still commit later.
        `SELECT seq::text, id, payload::text AS body FROM domain_events
          WHERE seq > $1 AND seq <= (SELECT position FROM outbox_cursors WHERE name = 'horizon') ORDER BY seq LIMIT 500`,
        [this.cursor],
      );
      if (rows.length === 0) {
        await new Promise((r) => setTimeout(r, IDLE_MS));
        continue;
      }
      this.cursor = rows[rows.length - 1].seq;
      let next = 0;
      const lane = async () => {
        while (next < rows.length) {
          const row = rows[next++];
          const result = await postSigned(this.target, signatureHeaders(row.id, row.body, [this.secret]), row.body, 10_000);
          if (result.ok) this.sent++;
        }
      };
      await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, rows.length) }, lane));
    }
  }
}
