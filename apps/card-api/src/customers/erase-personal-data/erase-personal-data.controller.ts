import { Body, Controller, Delete, HttpCode, Param } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiNotFoundResponse, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { EraseCustomerPersonalDataCommand, type CommandContext } from '@cards/application';
import { RequestContext } from '../../http/request-context';
import { uuidParam } from '../../http/validation';

export class ErasePersonalDataRequest {
  @ApiProperty({ example: 'Erasure request under PIPL art. 47, ticket 2026-1142', description: 'Why (1–200 characters, no personal data)' })
  @IsString()
  @Length(1, 200)
  reason!: string;
}

@ApiTags('customers')
@Controller('v1/customers/:customerId/personal-data')
export class ErasePersonalDataController {
  constructor(private readonly commands: CommandBus) {}

  @Delete()
  @HttpCode(200)
  @ApiOkResponse({
    description: 'The data key is destroyed: the personal data in the customer\'s events now reads [erased], for good. Repeating it changes nothing.',
    schema: { example: { customerId: '8f0c2b1e-5d5e-4a4f-9f43-7c1f0e9a7b21', erasedAt: '2026-11-23T09:00:00.000Z', revision: 1 } },
  })
  @ApiNotFoundResponse({ description: 'No such customer' })
  async erase(
    @Param('customerId', uuidParam('customerId')) customerId: string,
    @Body() body: ErasePersonalDataRequest,
    @RequestContext() ctx: CommandContext,
  ) {
    const erasure = await this.commands.execute(new EraseCustomerPersonalDataCommand(customerId, body.reason, ctx));
    return { customerId, erasedAt: erasure.erasedAt, revision: Number(erasure.revision) };
  }
}
