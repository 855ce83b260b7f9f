import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { StripeModuleOptions } from './stripe-options';

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN: STRIPE_MODULE_OPTIONS } = new ConfigurableModuleBuilder<StripeModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
