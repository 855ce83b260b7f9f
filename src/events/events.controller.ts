import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { RequiredScope } from '../common/auth/required-scope.decorator';
import { ApiEndpoint } from '../common/http/api-endpoint.decorator';
import type { Page } from '../common/http/pagination';
import type { DomainEvent } from './domain-event';
import { EventPage } from './dto/event.response';
import { ListEventsQuery } from './dto/list-events.query';
import { EventsService } from './events.service';

@ApiTags('events')
@Controller('v1/events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Get()
  @RequiredScope('read')
  @ApiEndpoint({
    summary: 'Our domain events, oldest first: resume from the last id you processed',
    description:
      'Every state change of customers, payments, refunds and subscriptions, kept EVENT_RETENTION_DAYS. ' +
      'Page forward with startingAfter = nextCursor (it stays your last seen id when the page is empty, so poll with it). ' +
      'An event appears once every transaction that could still commit an earlier one has ended: a cursor never skips one.',
    response: EventPage,
    errors: [400],
  })
  list(@Query() query: ListEventsQuery): Promise<Page<DomainEvent>> {
    return this.events.list(query);
  }
}
