import { Client } from 'pg';
import { postSigned, signatureHeaders } from '../src/notifications/signed-post';

/** As many POSTs in flight as the service's worker allows per endpoint (NOTIFICATION_MAX_IN_FLIGHT's default). */
const IN_FLIGHT = 128;
const IDLE_MS = 50;

/**
 * The least any outbox delivery can cost (#12's floor, for bench:webhooks:e2e): read the events after a cursor
 * kept in memory, one query per batch, and POST each once, signed like the service's worker does, with no
 * claims, no retries and no ordering. Not a design: it loses events on a crash. A durable design spends this
 * and more, so a ratio this sender cannot reach, no design reaches.
 *
 * `logged`: also the least a deliveries log of every attempt costs (the issue's GET .../deliveries): one row
 * per delivered event (seq, status code, duration), written by one multi-row INSERT per batch of POSTs.
 */
export class FloorSender {
  private cursor = '0';
  private sent = 0;
  private running = false;
  private loop: Promise<void> | undefined;
  private target = new URL('http://127.0.0.1:9/');
  private logged = false;

  private constructor(
    private readonly db: Client,
    private readonly secret: string,
  ) {}

  static async connect(databaseUrl: string, secret: string): Promise<FloorSender> {
    const db = new Client({ connectionString: databaseUrl });
    db.on('error', () => undefined); // the bench drops its database at the end
    await db.connect();
    await db.query(`CREATE TABLE IF NOT EXISTS bench_floor_log (event_seq bigint PRIMARY KEY, status_code int NOT NULL,
                    duration_ms int NOT NULL, delivered_at timestamptz NOT NULL DEFAULT now())`);
    return new FloorSender(db, secret);
  }

  /** Sends to `target` the events written from now on (after the newest so far). */
  async start(target: string, logged: boolean): Promise<void> {
    this.target = new URL(target);
    this.logged = logged;
    this.cursor = (await this.db.query(`SELECT coalesce(max(seq), 0)::text AS s FROM domain_events`)).rows[0].s;
    this.sent = 0;
    this.running = true;
    // A failure is printed at once (the bench would otherwise wait minutes for deliveries that cannot come).
    this.loop = this.run().catch((error: Error) => void process.stderr.write(`${error.stack ?? error.message}\n`));
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
        // (ORDER BY e.seq: a bare "seq" would sort by the text output column, and 100000 comes before 99999.)
        `SELECT e.seq::text AS seq, e.id, e.payload::text AS body FROM domain_events e
          WHERE e.seq > $1 AND e.seq <= (SELECT position FROM outbox_cursors WHERE name = 'horizon') ORDER BY e.seq LIMIT 500`,
        [this.cursor],
      );
      if (rows.length === 0) {
        await new Promise((r) => setTimeout(r, IDLE_MS));
        continue;
      }
      this.cursor = rows[rows.length - 1].seq;
      const delivered: Array<{ seq: string; statusCode: number; durationMs: number }> = [];
      let next = 0;
      const lane = async () => {
        while (next < rows.length) {
          const row = rows[next++];
          // Again at once when an attempt fails (a keep-alive socket the receiver closed just then: ECONNRESET),
          // so that every event is delivered once; an event dropped would leave the bench waiting for it.
          for (let attempt = 1; ; attempt++) {
            const result = await postSigned(this.target, signatureHeaders(row.id, row.body, [this.secret]), row.body, 10_000);
            if (result.ok) {
              delivered.push({ seq: row.seq, statusCode: result.statusCode!, durationMs: result.durationMs });
              break;
            }
            if (attempt === 5) throw new Error(`floor sender: event ${row.seq} failed 5 times: ${result.error ?? result.statusCode}`);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, rows.length) }, lane));
      if (this.logged)
        await this.db.query(
          `INSERT INTO bench_floor_log (event_seq, status_code, duration_ms)
           SELECT * FROM unnest($1::bigint[], $2::int[], $3::int[])`,
          [delivered.map((d) => d.seq), delivered.map((d) => d.statusCode), delivered.map((d) => d.durationMs)],
        );
      // Counted once logged, so the bench's measured part includes the log's INSERT.
      this.sent += delivered.length;
    }
  }
}
