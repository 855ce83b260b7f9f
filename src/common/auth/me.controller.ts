import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ApiKeyName } from './api-key-name.decorator';

class MeResponse {
  @ApiProperty({ example: 'orders-service', description: 'Name of the API key that authenticated the call' })
  apiKeyName: string;
}

@ApiTags('auth')
@ApiBearerAuth()
@Controller('v1/me')
export class MeController {
  @Get()
  @ApiOperation({ summary: 'Who am I: the name of the calling API key' })
  @ApiOkResponse({ type: MeResponse })
  me(@ApiKeyName() apiKeyName: string): MeResponse {
    return { apiKeyName };
  }
}
