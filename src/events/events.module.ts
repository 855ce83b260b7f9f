import { Module } from '@nestjs/common';
import { EventRetention } from './event-retention.service';
import { EventsController } from './events.controller';
import { EventsService } from './events.service';
import { NatsPublisher } from './nats-publisher.service';
import { OutboxHorizon } from './outbox-horizon.service';

/** Reading our own outbox: the feed, its stable horizon, retention and the NATS JetStream stream. */
@Module({
  controllers: [EventsController],
  providers: [EventsService, OutboxHorizon, EventRetention, NatsPublisher],
  exports: [OutboxHorizon],
})
export class EventsModule {}
