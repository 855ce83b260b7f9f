import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ProblemException } from '../common/errors/problem';
import { CustomersService } from '../customers/customers.service';
import { CustomerEntity } from '../customers/customer.entity';
import { PaymentMethodsService } from '../payment-methods/payment-methods.service';
import { PaymentEntity } from '../payments/payment.entity';
import { PaymentsService } from '../payments/payments.service';

/** The one customer the demo page pays for: a fixed id, so every instance and restart converges on one row. */
export const DEMO_CUSTOMER_ID = '0c4ec0de-0000-4000-8000-000000000001';
export const DEMO_AMOUNT = 2000;
export const DEMO_CURRENCY = 'usd';

export interface SavedCard {
  id: string;
  brand: string;
  last4: string;
}

/** The demo page's server half: payments for the demo customer through the same PaymentsService as the API. */
@Injectable()
export class CheckoutService {
  constructor(
    private readonly customers: CustomersService,
    private readonly payments: PaymentsService,
    private readonly paymentMethods: PaymentMethodsService,
  ) {}

  async startPayment(saveCard: boolean): Promise<PaymentEntity> {
    const customer = await this.demoCustomer();
    return this.payments.create(randomUUID(), {
      amount: DEMO_AMOUNT,
      currency: DEMO_CURRENCY,
      customerId: customer.id,
      setupFutureUsage: saveCard ? 'off_session' : undefined,
      description: 'Checkout page demo',
    });
  }

  /** Charges the demo customer's saved card off-session (no client secret, no browser involved). */
  async payWithSavedCard(): Promise<PaymentEntity> {
    const card = await this.savedCard();
    if (!card)
      throw new ProblemException(409, 'no_saved_card', 'The demo customer has no saved card yet: pay once with "Save card for later".');
    return this.payments.create(randomUUID(), {
      amount: DEMO_AMOUNT,
      currency: DEMO_CURRENCY,
      customerId: DEMO_CUSTOMER_ID,
      paymentMethod: card.id,
      confirm: true,
      offSession: true,
      description: 'Checkout page demo (saved card)',
    });
  }

  /** The page may only read the demo customer's payments. */
  async getPayment(id: string): Promise<PaymentEntity> {
    const payment = await this.payments.get(id);
    if (payment.customerId !== DEMO_CUSTOMER_ID) throw new ProblemException(404, 'payment_not_found', `No payment ${id}.`);
    return payment;
  }

  /** The default card, else the newest saved one. */
  async savedCard(): Promise<SavedCard | null> {
    const customer = await this.customers.get(DEMO_CUSTOMER_ID).catch(() => null);
    if (!customer) return null;
    const { page, defaultId } = await this.paymentMethods.list(customer.id, { limit: 20 });
    const card = page.data.find((pm) => pm.id === defaultId) ?? page.data[0];
    return card?.card ? { id: card.id, brand: card.card.brand, last4: card.card.last4 } : null;
  }

  private async demoCustomer(): Promise<CustomerEntity> {
    const existing = await this.customers.get(DEMO_CUSTOMER_ID).catch(() => null);
    if (existing) return existing;
    // Created with the fixed id as the operation id: concurrent first payments converge on one customer.
    return this.customers.create(DEMO_CUSTOMER_ID, { email: 'checkout-demo@example.com', name: 'Checkout demo' });
  }
}
