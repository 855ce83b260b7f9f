import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { entityFromRow } from '../database/entity-from-row';
import { ProblemException } from '../common/errors/problem';
import { Page, paginate } from '../common/http/pagination';
import { ListWebhookEventsDto } from './dto/list-webhook-events.dto';
import { WebhookEventEntity } from './webhook-event.entity';
import { WebhookWorker } from './webhook-worker.service';

const notFound = (id: string) => new ProblemException(404, 'webhook_event_not_found', `No webhook event ${id} in the inbox.`);

/** What operators see of the inbox, and the one thing they can do to it: send an event round again. */
@Injectable()
export class WebhookEventsService {
  constructor(
    @InjectRepository(WebhookEventEntity) private readonly events: Repository<WebhookEventEntity>,
    private readonly worker: WebhookWorker,
  ) {}

  /** Newest first, keyset-paginated by (received_at, id); payloads are left out of lists. */
  list(filter: ListWebhookEventsDto): Promise<Page<WebhookEventEntity>> {
    const q = this.events
      .createQueryBuilder('e')
      .select(['e.id', 'e.type', 'e.status', 'e.source', 'e.livemode', 'e.apiVersion', 'e.objectId', 'e.stripeCreated', 'e.attempts'])
      .addSelect(['e.nextAttemptAt', 'e.lastError', 'e.note', 'e.receivedAt', 'e.processedAt']);
    if (filter.status) q.andWhere('e.status = :status', { status: filter.status });
    if (filter.type) q.andWhere('e.type = :type', { type: filter.type });
    return paginate(q, filter, 'receivedAt');
  }

  async get(id: string): Promise<WebhookEventEntity> {
    const event = await this.events.findOneBy({ id });
    if (!event) throw notFound(id);
    return event;
  }

  /** Makes a failed (or processed, or waiting) event due now with a fresh attempt budget. */
  async retry(id: string): Promise<WebhookEventEntity> {
    const [rows]: [Array<Record<string, unknown>>, number] = await this.events.query(
      `UPDATE webhook_events SET status = 'pending', attempts = 0, next_attempt_at = now(), locked_until = NULL
        WHERE id = $1 AND status IN ('failed', 'processed', 'pending') RETURNING *`,
      [id],
    );
    if (rows.length === 0) {
      const event = await this.get(id);
      if (event.status === 'ignored')
        throw new ProblemException(
          409,
          'webhook_event_ignored',
          `Event ${id} was ignored (${event.note ?? 'livemode mismatch'}); it cannot be applied.`,
        );
      throw new ProblemException(409, 'webhook_event_in_progress', `Event ${id} is being processed right now; retry when it settles.`);
    }
    // The answer is the row as this UPDATE left it (queued again): a read-back would race the worker.
    const queued = entityFromRow(this.events, rows[0]);
    this.worker.nudge();
    return queued;
  }
}
