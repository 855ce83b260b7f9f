import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ProblemException } from '../common/errors/problem';
import type { Page } from '../common/http/pagination';
import type { DomainEvent } from './domain-event';
import type { ListEventsQuery } from './dto/list-events.query';

/** The pull feed: oldest first, only up to the outbox horizon, so a consumer resuming from its last id never skips one. */
@Injectable()
export class EventsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async list(query: ListEventsQuery): Promise<Page<DomainEvent>> {
    let after = '0';
    if (query.startingAfter) {
      const [cursor]: Array<{ seq: string }> = await this.dataSource.query(`SELECT seq FROM domain_events WHERE id = $1`, [
        query.startingAfter,
      ]);
      if (!cursor)
        throw new ProblemException(
          400,
          'invalid_cursor',
          `startingAfter ${query.startingAfter} is not a kept event (unknown, or older than the retention period).`,
          { errors: [{ field: 'startingAfter', message: 'unknown event id' }] },
        );
      after = cursor.seq;
    }
    const params: unknown[] = [after, query.limit + 1];
    const filters: string[] = [];
    if (query.type) filters.push(`type = $${params.push(query.type)}`);
    if (query.objectId) filters.push(`object_id = $${params.push(query.objectId)}`);
    const rows: Array<{ payload: DomainEvent }> = await this.dataSource.query(
      `SELECT payload FROM domain_events
        WHERE seq > $1 AND seq <= (SELECT position FROM outbox_cursors WHERE name = 'horizon')
          ${filters.map((f) => `AND ${f}`).join(' ')}
        ORDER BY seq LIMIT $2`,
      params,
    );
    const hasMore = rows.length > query.limit;
    const data = rows.slice(0, query.limit).map((r) => r.payload);
    return { data, hasMore, nextCursor: data.length ? data[data.length - 1].id : (query.startingAfter ?? null) };
  }
}
