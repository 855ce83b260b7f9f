import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsUUID } from 'class-validator';
import { ListQueryDto } from '../../common/http/pagination';
import { SUBSCRIPTION_STATUSES, SubscriptionStatus } from '../subscription.entity';

export class CancelSubscriptionDto {
  @ApiPropertyOptional({
    default: false,
    description: 'true: keep it running until the current period ends (cancelAtPeriodEnd); false: cancel now',
  })
  @IsOptional()
  @IsBoolean()
  atPeriodEnd?: boolean;
}

export class GetSubscriptionQuery {
  @ApiPropertyOptional({ description: 'Refresh from Stripe before answering', default: false })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  sync?: boolean;
}

export class ListSubscriptionsQuery extends ListQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  customerId?: string;

  @ApiPropertyOptional({ enum: SUBSCRIPTION_STATUSES })
  @IsOptional()
  @IsIn(SUBSCRIPTION_STATUSES)
  status?: SubscriptionStatus;
}
