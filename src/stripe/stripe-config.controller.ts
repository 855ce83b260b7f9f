import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { RequiredScope } from '../common/auth/required-scope.decorator';
import { StripeContext } from '@app/stripe';

class DemoPriceResponse {
  @ApiProperty({ example: 'price_sandbox_demo_monthly' })
  id: string;
  @ApiProperty({ example: 'prod_sandbox_demo' })
  productId: string;
  @ApiProperty({ example: 'Demo plan' })
  productName: string;
  @ApiProperty({ example: 1500, description: 'Minor units' })
  unitAmount: number;
  @ApiProperty({ example: 'usd' })
  currency: string;
  @ApiProperty({ example: 'month', enum: ['month', 'year'] })
  interval: string;
}

class StripeConfigResponse {
  @ApiPropertyOptional({
    example: 'pk_test_51H...',
    nullable: true,
    type: String,
    description: 'For front ends collecting card details with Stripe.js / Elements',
  })
  publishableKey: string | null;

  @ApiProperty({ example: false, description: 'True when no real Stripe account is used (in-process emulator): no real money moves' })
  sandbox: boolean;

  @ApiProperty({
    example: 'http://127.0.0.1:12111',
    nullable: true,
    type: String,
    description: 'Sandbox only: the Stripe emulator this service talks to, for your own tests (any sk_test_ key works)',
  })
  emulatorUrl: string | null;

  @ApiProperty({ example: false, description: 'True when a live key is configured' })
  livemode: boolean;

  @ApiProperty({
    type: () => DemoPriceResponse,
    isArray: true,
    description: 'Sandbox only (else empty): recurring prices seeded at first boot, to try POST /v1/subscriptions with',
  })
  demoPrices: DemoPriceResponse[];
}

@ApiTags('config')
@ApiBearerAuth()
@Controller('v1/config')
export class StripeConfigController {
  constructor(private readonly stripe: StripeContext) {}

  @Get()
  @RequiredScope('read')
  @ApiOperation({ summary: 'Client configuration: the Stripe publishable key, whether this is a sandbox, and its demo prices' })
  @ApiOkResponse({ type: StripeConfigResponse })
  get(): StripeConfigResponse {
    const sandbox = this.stripe.mode === 'sandbox';
    return {
      publishableKey: this.stripe.publishableKey,
      sandbox,
      emulatorUrl: sandbox ? (this.stripe.emulatorUrl ?? null) : null,
      livemode: this.stripe.livemode,
      demoPrices: sandbox ? this.stripe.demoPrices : [],
    };
  }
}
