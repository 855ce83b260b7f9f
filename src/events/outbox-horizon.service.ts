import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { PollingLoop } from '../common/polling-loop';

const BATCH = 500;
const POLL_MS = 200;

/** Runs inside the transaction that moves the horizon from `after` (exclusive) to `upTo` (inclusive). */
export type HorizonStep = (manager: EntityManager, after: string, upTo: string) => Promise<void>;

interface Observation {
  xmin: string;
  xmax: string;
  seq: string | null;
}

/**
 * Moves the outbox's stable horizon (outbox_cursors 'horizon', see migration 1796500000000): the highest
 * seq below which the outbox can no longer change. A visible row right after the horizon moves it on; a
 * hole (a seq taken by a transaction not yet committed, or rolled back) stops it until every transaction
 * that was running when the hole was first seen has ended. Rows are read and the snapshot's xmin/xmax
 * taken in ONE statement, so they describe the same snapshot.
 *
 * One instance moves it at a time (the cursor row is claimed with SKIP LOCKED); steps registered with
 * `onAdvance` (the webhook fan-out) run in that same transaction, so they see each event exactly once.
 */
@Injectable()
export class OutboxHorizon implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxHorizon.name);
  private readonly loop = new PollingLoop('Outbox horizon', () => this.advance(), POLL_MS, this.logger);
  private readonly steps: HorizonStep[] = [];
  private readonly listeners: Array<() => void> = [];

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }

  onAdvance(step: HorizonStep): void {
    this.steps.push(step);
  }

  /** Called after a transaction that moved the horizon committed (readers can look for new events). */
  onAdvanced(listener: () => void): void {
    this.listeners.push(listener);
  }

  nudge(): void {
    this.loop.nudge();
  }

  /** One step; true when there may be more to do right away. */
  async advance(): Promise<boolean> {
    const moved = await this.dataSource.transaction(async (manager) => {
      const [cursor]: Array<{ position: string; hole_horizon: string | null }> = await manager.query(
        `SELECT position, hole_horizon::text FROM outbox_cursors WHERE name = 'horizon' FOR UPDATE SKIP LOCKED`,
      );
      if (!cursor) return null; // another instance is moving it right now
      const rows: Observation[] = await manager.query(
        `SELECT pg_snapshot_xmin(s)::text AS xmin, pg_snapshot_xmax(s)::text AS xmax, e.seq
           FROM pg_current_snapshot() s
           LEFT JOIN LATERAL (SELECT seq FROM domain_events WHERE seq > $1 ORDER BY seq LIMIT $2) e ON true`,
        [cursor.position, BATCH],
      );
      const { position, hole } = walk(BigInt(cursor.position), cursor.hole_horizon, rows);
      if (position === BigInt(cursor.position) && hole === cursor.hole_horizon) return null;
      if (position > BigInt(cursor.position)) for (const step of this.steps) await step(manager, cursor.position, position.toString());
      await manager.query(`UPDATE outbox_cursors SET position = $1, hole_horizon = $2::xid8, updated_at = now() WHERE name = 'horizon'`, [
        position.toString(),
        hole,
      ]);
      return { advanced: position > BigInt(cursor.position), full: rows.length === BATCH };
    });
    if (moved?.advanced) for (const listener of this.listeners) listener();
    return !!moved?.advanced && moved.full;
  }
}

/** The horizon after looking at the rows past it (in seq order), all seen in one snapshot. */
export function walk(position: bigint, hole: string | null, rows: Observation[]): { position: bigint; hole: string | null } {
  for (const row of rows) {
    if (row.seq === null) break;
    const seq = BigInt(row.seq);
    if (seq !== position + 1n) {
      // Every transaction running when the hole was first seen has ended and the seq is still missing:
      // it was rolled back (or skipped by the sequence), so nothing can appear there any more.
      const permanent = hole !== null && BigInt(row.xmin) >= BigInt(hole);
      if (!permanent) return { position, hole: hole ?? row.xmax };
    }
    position = seq;
    hole = null;
  }
  return { position, hole };
}
