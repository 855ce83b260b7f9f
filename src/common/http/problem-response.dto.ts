import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

class FieldErrorDto {
  @ApiProperty({ example: 'amount' })
  field: string;

  @ApiProperty({ example: 'amount must be a positive integer' })
  message: string;
}

/** RFC 9457 problem details as this service renders every error (documentation only). */
export class ProblemResponseDto {
  @ApiProperty({ example: '/problems/card-declined' })
  type: string;

  @ApiProperty({ example: 'Payment Required' })
  title: string;

  @ApiProperty({ example: 402 })
  status: number;

  @ApiProperty({ example: 'Your card has insufficient funds.' })
  detail: string;

  @ApiProperty({ example: 'card_declined', description: 'Stable machine-readable code to branch on' })
  code: string;

  @ApiProperty({ example: '7b1c9c1e-2f5e-4a39-a7a5-5b5d0c3f2e11' })
  requestId: string;

  @ApiPropertyOptional({ example: 'req_9Fh3kQ2ZlVbXy1', description: "Stripe's request id, on every error that came from Stripe" })
  stripeRequestId?: string;

  @ApiPropertyOptional({ example: 'insufficient_funds', description: 'Card errors only' })
  declineCode?: string;

  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'Validation errors only: one entry per bad field' })
  errors?: FieldErrorDto[];
}
