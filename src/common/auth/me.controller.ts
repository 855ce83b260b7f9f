import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { ApiKeyIdentity } from './api-key-auth';
import { CurrentApiKey } from './api-key-name.decorator';
import { AnyApiKey } from './required-scope.decorator';
import { SCOPES, Scope } from './scopes';

class MeResponse {
  @ApiProperty({ example: 'orders-service', description: 'Name of the API key that authenticated the call' })
  name: string;

  @ApiProperty({ enum: SCOPES, isArray: true, example: ['read', 'write', 'refunds'], description: 'What this key may do' })
  scopes: Scope[];
}

@ApiTags('auth')
@Controller('v1/me')
export class MeController {
  @Get()
  @AnyApiKey()
  @ApiOperation({ summary: 'Who am I: the name and scopes of the calling API key (any valid key may ask)' })
  @ApiOkResponse({ type: MeResponse })
  me(@CurrentApiKey() key: ApiKeyIdentity): MeResponse {
    return { name: key.name, scopes: [...key.scopes] };
  }
}
