import { ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsBoolean, IsOptional } from 'class-validator';
import { CreateNotificationEndpointDto } from './create-notification-endpoint.dto';

export class UpdateNotificationEndpointDto extends PartialType(CreateNotificationEndpointDto) {
  @ApiPropertyOptional({
    example: true,
    description: 'false pauses deliveries (they wait); true resumes them and clears an automatic disable',
  })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}
