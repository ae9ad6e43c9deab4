import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import type { DestinationStream } from 'pino';
import { CardApplicationModule } from '@cards/application';
import { ImportsModule } from './imports/imports.module';
import { NumbersModule } from './numbers/numbers.module';
import { CasesModule } from './cases/cases.module';
import { MasterKeyRotationsModule } from './admin/master-key-rotations/master-key-rotations.module';
import { AuditIntegrityModule } from './audit/integrity/audit-integrity.module';
import { AuditExportModule } from './audit/export/audit-export.module';
import { ActivateCardController } from './cards/activate-card/activate-card.controller';
import { DisputesController } from './cards/disputes/disputes.controller';
import { GetCardController } from './cards/get-card/get-card.controller';
import { IssueCardController } from './cards/issue-card/issue-card.controller';
import { LinkCardController } from './cards/link-card/link-card.controller';
import { StatusChangesController } from './cards/status-changes/status-changes.controller';
import { VerifyIdentityController } from './cards/verify-identity/verify-identity.controller';
import {
  HealthController,
  InfrastructureModule,
  ProblemDetailsFilter,
  ProjectionsController,
  ProjectionsHost,
  structuredLogging,
  type AppConfig,
} from '@cards/platform';
import { GetCustomerController } from './customers/get-customer/get-customer.controller';
import { RegisterCustomerController } from './customers/register-customer/register-customer.controller';
import { ChangeContactDetailsController } from './customers/change-contact-details/change-contact-details.controller';
import { FindCustomersController } from './customers/find-customers/find-customers.controller';
import { AccessLogController } from './customers/access-log/access-log.controller';
import { AuditCardHistoryController, AuditCustomerHistoryController } from './audit/history/audit-history.controller';
import { ReviewsController } from './reviews/reviews.controller';
import { VerifyCustomerIdentityController } from './customers/verify-customer-identity/verify-customer-identity.controller';
import { IdentityCorrectionsController } from './customers/identity-corrections/identity-corrections.controller';
import { ErasePersonalDataController } from './customers/erase-personal-data/erase-personal-data.controller';
import { SearchCardsController } from './cards/search-cards/search-cards.controller';
import { CustomerCardsController } from './customers/customer-cards/customer-cards.controller';
import { ReportsController } from './reports/reports.controller';
import { NotificationReactorModule, NotificationsModule } from '@cards/notifications';
import { NotificationTemplatesController } from './notifications/notification-templates.controller';
import { HonoursIdempotencyKey } from './http/idempotency.interceptor';
import { requestValidationPipe } from './http/validation';

/**
 * The projections controller of @cards/platform (card-projector serves it too, without idempotency records), with
 * the Idempotency-Key handling every POST of card-api has. Same name, so the OpenAPI document does not change.
 */
@HonoursIdempotencyKey()
class CardApiProjectionsController extends ProjectionsController {}
Object.defineProperty(CardApiProjectionsController, 'name', { value: ProjectionsController.name });

export interface AppModuleOptions {
  /** Where structured logs go (stdout by default); tests pass a file to scan it. */
  readonly logDestination?: DestinationStream;
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, options: AppModuleOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => ({ app: config })] }),
        structuredLogging(config, options.logDestination),
        InfrastructureModule.forRoot(config),
        CardApplicationModule,
        ImportsModule,
        NumbersModule,
        CasesModule,
        MasterKeyRotationsModule,
        AuditIntegrityModule,
        AuditExportModule,
        NotificationsModule,
        // Sends the notices and relays lifecycle events to webhooks where the projections run (PROJECTIONS_IN_PROCESS).
        NotificationReactorModule,
      ],
      controllers: [
        HealthController,
        RegisterCustomerController,
        FindCustomersController,
        GetCustomerController,
        ChangeContactDetailsController,
        VerifyCustomerIdentityController,
        IdentityCorrectionsController,
        ErasePersonalDataController,
        AccessLogController,
        AuditCardHistoryController,
        AuditCustomerHistoryController,
        CustomerCardsController,
        SearchCardsController,
        IssueCardController,
        GetCardController,
        VerifyIdentityController,
        LinkCardController,
        ActivateCardController,
        DisputesController,
        StatusChangesController,
        CardApiProjectionsController,
        ReportsController,
        ReviewsController,
        NotificationTemplatesController,
      ],
      providers: [
        ProjectionsHost,
        { provide: APP_PIPE, useFactory: requestValidationPipe },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
      ],
    };
  }
}
