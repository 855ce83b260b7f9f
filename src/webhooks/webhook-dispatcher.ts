import { Injectable } from '@nestjs/common';
import type { ApplyResult } from '../common/stripe-sync';
import type { StripeEventEnvelope } from './stripe-event';

export interface DispatchOutcome {
  result: ApplyResult | 'unhandled';
  detail?: string;
}

/** Routes an event to the feature that owns its object. */
@Injectable()
export class WebhookDispatcher {
  async dispatch(event: StripeEventEnvelope): Promise<DispatchOutcome> {
    switch (event.type) {
      default:
        return { result: 'unhandled' };
    }
  }
}
