import { Module } from '@nestjs/common';
import { CardApplicationModule } from '@cards/application';
import { ImportBodyParser } from './import-body';
import { ImportsController } from './imports.controller';

/** POST /v1/imports: card histories from another system, as JSON Lines. */
@Module({
  imports: [CardApplicationModule],
  controllers: [ImportsController],
  providers: [ImportBodyParser],
})
export class ImportsModule {}
