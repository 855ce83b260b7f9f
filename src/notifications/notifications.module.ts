import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EventsModule } from '../events/events.module';
import { DeliveryWorker } from './delivery-worker.service';
import { NotificationEndpointEntity } from './notification-endpoint.entity';
import { NotificationEndpointsController } from './notification-endpoints.controller';
import { NotificationEndpointsService } from './notification-endpoints.service';

/** Signed webhooks (Standard Webhooks) from our outbox to internal receivers. */
@Module({
  imports: [TypeOrmModule.forFeature([NotificationEndpointEntity]), EventsModule],
  controllers: [NotificationEndpointsController],
  providers: [NotificationEndpointsService, DeliveryWorker],
})
export class NotificationsModule {}
