import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { CardApplicationModule } from '@cards/application';
import { ActivateCardController } from './cards/activate-card/activate-card.controller';
import { DisputesController } from './cards/disputes/disputes.controller';
import { GetCardController } from './cards/get-card/get-card.controller';
import { IssueCardController } from './cards/issue-card/issue-card.controller';
import { LinkCardController } from './cards/link-card/link-card.controller';
import { StatusChangesController } from './cards/status-changes/status-changes.controller';
import { VerifyIdentityController } from './cards/verify-identity/verify-identity.controller';
import { HealthController, InfrastructureModule, ProjectionsController, ProjectionsHost, type AppConfig } from '@cards/platform';
import { GetCustomerController } from './customers/get-customer/get-customer.controller';
import { RegisterCustomerController } from './customers/register-customer/register-customer.controller';
import { SearchCardsController } from './cards/search-cards/search-cards.controller';
import { CustomerCardsController } from './customers/customer-cards/customer-cards.controller';
import { ReportsController } from './reports/reports.controller';
import { IdempotencyInterceptor } from './http/idempotency.interceptor';
import { ProblemDetailsFilter } from './http/problem-details.filter';
import { correlationIdOf } from './http/request-context';
import { requestValidationPipe } from './http/validation';

export interface AppModuleOptions {
  /** Where structured logs go (stdout by default); tests pass a file to scan it. */
  readonly logDestination?: DestinationStream;
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, options: AppModuleOptions = {}): DynamicModule {
    const pinoOptions = {
      level: config.logLevel,
      // Bodies are never logged: they carry card numbers, CVV2s and personal data.
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      customProps: (req: unknown) => ({ correlationId: correlationIdOf(req as never) }),
    };
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => ({ app: config })] }),
        LoggerModule.forRoot({
          pinoHttp: options.logDestination ? [pinoOptions, options.logDestination] : pinoOptions,
        }),
        InfrastructureModule.forRoot(config),
        CardApplicationModule,
      ],
      controllers: [
        HealthController,
        RegisterCustomerController,
        GetCustomerController,
        CustomerCardsController,
        SearchCardsController,
        IssueCardController,
        GetCardController,
        VerifyIdentityController,
        LinkCardController,
        ActivateCardController,
        DisputesController,
        StatusChangesController,
        ProjectionsController,
        ReportsController,
      ],
      providers: [
        ProjectionsHost,
        { provide: APP_PIPE, useFactory: requestValidationPipe },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
      ],
    };
  }
}
