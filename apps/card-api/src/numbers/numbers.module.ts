import { Module } from '@nestjs/common';
import { CardApplicationModule } from '@cards/application';
import { ImportBodyParser } from '../imports/import-body';
import { NumberImportsController, CsvBodyParser } from './number-imports.controller';
import { NumberInventoryReportController } from './number-inventory-report.controller';
import { NumberReservationsController } from './number-reservations.controller';
import { NumberSelectionController } from './number-selection.controller';
import { NumberWithdrawalsController } from './number-withdrawals.controller';

/** SIM numbers: inventory imports, suggestions and search, reservations, the inventory report (docs/numbers.md). */
@Module({
  imports: [CardApplicationModule],
  // The import controller before the reservations one: /v1/numbers/imports is not a number.
  controllers: [NumberImportsController, NumberSelectionController, NumberReservationsController, NumberWithdrawalsController, NumberInventoryReportController],
  providers: [ImportBodyParser, CsvBodyParser],
})
export class NumbersModule {}
