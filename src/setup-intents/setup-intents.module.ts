import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdempotencyModule } from '../common/idempotency/idempotency.module';
import { CustomersModule } from '../customers/customers.module';
import { PaymentMethodsModule } from '../payment-methods/payment-methods.module';
import { SetupIntentEntity } from './setup-intent.entity';
import { SetupIntentsController } from './setup-intents.controller';
import { SetupIntentsService } from './setup-intents.service';

@Module({
  imports: [TypeOrmModule.forFeature([SetupIntentEntity]), IdempotencyModule, CustomersModule, PaymentMethodsModule],
  controllers: [SetupIntentsController],
  providers: [SetupIntentsService],
  exports: [SetupIntentsService],
})
export class SetupIntentsModule {}
