import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Redirect } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { IsBoolean, IsOptional } from 'class-validator';
import { StripeContext } from '@app/stripe';
import { Public } from '../common/auth/public.decorator';
import { CheckoutService, DEMO_AMOUNT, DEMO_CURRENCY } from './checkout.service';

class StartCheckoutPaymentDto {
  @IsOptional()
  @IsBoolean()
  saveCard?: boolean;

  @IsOptional()
  @IsBoolean()
  useSavedCard?: boolean;
}

/**
 * Demo-only routes behind the checkout page (CHECKOUT_PAGE_ENABLED): public, for one fixed demo customer
 * and one fixed amount, and they never answer more than the page needs (no card data, no API key).
 */
@ApiExcludeController()
@Public()
@Controller('checkout')
export class CheckoutController {
  constructor(
    private readonly checkout: CheckoutService,
    private readonly stripe: StripeContext,
  ) {}

  /** The page itself is a static file under /checkout/ (src/checkout/public); this makes /checkout work too. */
  @Get()
  @Redirect('/checkout/', 302)
  page(): void {}

  @Get('config')
  getConfig() {
    const sandbox = this.stripe.mode === 'sandbox';
    return {
      publishableKey: this.stripe.publishableKey,
      sandbox,
      // Sandbox only: where the browser reaches the emulator (Stripe.js reaches api.stripe.com on its own).
      emulatorUrl: sandbox ? (this.stripe.emulatorUrl ?? null) : null,
      amount: DEMO_AMOUNT,
      currency: DEMO_CURRENCY,
    };
  }

  @Post('payments')
  async start(@Body() dto: StartCheckoutPaymentDto) {
    const payment = dto.useSavedCard ? await this.checkout.payWithSavedCard() : await this.checkout.startPayment(dto.saveCard ?? false);
    return {
      id: payment.id,
      stripePaymentIntentId: payment.stripePaymentIntentId,
      clientSecret: payment.clientSecret,
      status: payment.status,
    };
  }

  @Get('payments/:id')
  async get(@Param('id', ParseUUIDPipe) id: string) {
    const payment = await this.checkout.getPayment(id);
    return { id: payment.id, status: payment.status, message: payment.lastPaymentError?.message ?? null };
  }

  @Get('saved-card')
  async savedCard() {
    const card = await this.checkout.savedCard();
    return card ? { available: true, brand: card.brand, last4: card.last4 } : { available: false };
  }
}
