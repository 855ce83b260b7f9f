import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdempotencyModule } from '../common/idempotency/idempotency.module';
import { CustomersModule } from '../customers/customers.module';
import { SubscriptionEntity } from './subscription.entity';
import { SubscriptionsController } from './subscriptions.controller';
import { SubscriptionsService } from './subscriptions.service';

@Module({
  imports: [TypeOrmModule.forFeature([SubscriptionEntity]), IdempotencyModule, CustomersModule],
  controllers: [SubscriptionsController],
  providers: [SubscriptionsService],
  // The webhooks dispatcher applies customer.subscription.* and invoice.* events through it.
  exports: [SubscriptionsService],
})
export class SubscriptionsModule {}
