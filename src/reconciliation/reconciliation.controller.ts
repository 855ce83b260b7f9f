import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { RequiredScope } from '../common/auth/required-scope.decorator';
import { ProblemException } from '../common/errors/problem';
import { ReconcileBusyError, ReconcileReport, ReconciliationService } from './reconciliation.service';

class ReconcileResponse implements ReconcileReport {
  @ApiProperty({ description: 'Stripe events were listed from this time (unix seconds)' })
  listedSince: number;
  @ApiProperty({ description: 'The stored cursor after this run (unix seconds)' })
  cursor: number;
  @ApiProperty()
  eventsListed: number;
  @ApiProperty({ description: 'Events missing from the inbox (missed deliveries), now stored and queued for processing' })
  eventsRecovered: number;
  @ApiProperty()
  paymentsResynced: number;
  @ApiProperty()
  refundsResynced: number;
  @ApiProperty()
  subscriptionsResynced: number;
  @ApiProperty({ type: [String] })
  errors: string[];
}

@ApiTags('admin')
@ApiBearerAuth()
@Controller('v1/admin')
export class ReconciliationController {
  constructor(private readonly reconciliation: ReconciliationService) {}

  @Post('reconcile')
  @RequiredScope('admin')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Run reconciliation now: recover missed Stripe events into the inbox and re-sync stuck payments, refunds and subscriptions; 409 if another instance is running it',
  })
  @ApiOkResponse({ type: ReconcileResponse })
  async reconcile(): Promise<ReconcileResponse> {
    try {
      return await this.reconciliation.run();
    } catch (error) {
      if (error instanceof ReconcileBusyError) throw new ProblemException(409, 'reconcile_in_progress', error.message);
      throw error;
    }
  }
}
