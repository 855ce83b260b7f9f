import { ApiProperty } from '@nestjs/swagger';
import type { CustomerEntity } from '../customer.entity';

export class CustomerResponse {
  @ApiProperty({ format: 'uuid', example: '0b6f1f5e-8c1a-4c55-9d43-2d4c3a1b7e10' })
  id: string;

  @ApiProperty({ example: 'cus_QzX1aB2cD3eF4g' })
  stripeCustomerId: string;

  @ApiProperty({ example: 'ada@example.com' })
  email: string;

  @ApiProperty({ type: String, nullable: true, example: 'Ada Lovelace' })
  name: string | null;

  @ApiProperty({ type: String, nullable: true, example: '+44 20 7946 0958' })
  phone: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Customer since 2024' })
  description: string | null;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, example: { crmId: 'c-1842' } })
  metadata: Record<string, string>;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'pm_1QzX1aB2cD3eF4g',
    description: 'The saved card charged off-session and by subscriptions (see /v1/customers/{id}/payment-methods)',
  })
  defaultPaymentMethod: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
    description: 'Set once deleted (the row is kept as a tombstone)',
  })
  deletedAt: string | null;

  @ApiProperty({ format: 'date-time', example: '2026-11-26T16:30:00.000Z' })
  createdAt: string;

  @ApiProperty({ format: 'date-time', example: '2026-11-26T16:30:00.000Z' })
  updatedAt: string;
}

export function toCustomerResponse(c: CustomerEntity): CustomerResponse {
  return {
    id: c.id,
    stripeCustomerId: c.stripeCustomerId,
    email: c.email,
    name: c.name,
    phone: c.phone,
    description: c.description,
    metadata: c.metadata,
    defaultPaymentMethod: c.defaultPaymentMethod,
    deletedAt: c.deletedAt?.toISOString() ?? null,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}
