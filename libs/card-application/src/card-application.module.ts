import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { ActivateCardHandler } from './activate-card/activate-card.command';
import { OpenDisputeHandler } from './disputes/open-dispute.command';
import { ResolveDisputeHandler } from './disputes/resolve-dispute.command';
import { GetCardHandler } from './get-card/get-card.query';
import { CardNotificationsHandler } from './notifications/card-notifications.query';
import { GetCustomerHandler } from './get-customer/get-customer.query';
import { IdempotencyStore } from './idempotency/idempotency-store';
import { CardNumberClaims } from './issue-card/card-number-claims';
import { IssueCardHandler } from './issue-card/issue-card.command';
import { SimQuota } from './issue-card/sim-quota';
import { ImportHistory } from './import-history/import-history.service';
import { LinkCardHandler } from './link-card/link-card.command';
import { IdNumberRegistry } from './register-customer/id-number-registry';
import { RegisterCustomerHandler } from './register-customer/register-customer.command';
import { AggregateRunner } from './shared/aggregate-runner';
import { EVENT_CODEC } from './shared/event-codec';
import { PersonalDataAccessLog } from './personal-data-access/personal-data-access-log';
import { DecideIdentityReviewHandler, ListReviewsHandler, RecordReviewContactAttemptHandler } from './reviews/reviews';
import { DecideIdentityCorrectionHandler, RequestIdentityCorrectionHandler } from './reviews/identity-correction';
import { BiometricCheck } from './verify-identity/biometric-check';
import { VerifyCustomerIdentityHandler } from './verify-identity/verify-customer-identity.command';
import { AuditHistory } from './audit/history/audit-history';
import { FindCustomersHandler } from './customers-read-model/find-customers.query';
import { SearchAccessLogHandler } from './personal-data-access/search-access-log.query';
import { ChangeContactDetailsHandler } from './change-contact-details/change-contact-details.command';
import { EraseCustomerPersonalDataHandler } from './erase-personal-data/erase-personal-data.command';
import { PersonalDataEventCodec } from './shared/personal-data-codec';
import { CardCommandExecutor } from './shared/card-command-executor';
import { ChangeCardStatusHandler } from './suspend-reinstate-cancel/card-status-change.command';
import { VerifyIdentityHandler } from './verify-identity/verify-identity.command';
import { ReadYourWrites } from './read-side/read-your-writes';
import { SearchCardsHandler } from './search-cards/search-cards.query';
import { ProcessAnalysis } from './process-analysis/process-analysis.service';
import {
  NumberAssignments,
  NumberHolds,
  NumberImports,
  NumberInventory,
  NumberInventoryReporting,
  NumberSelection,
  ReleaseNumberReservationHandler,
  WithdrawNumberHandler,
  ReserveNumberHandler,
} from './numbers';
import {
  AnswerCaseSurveyHandler,
  AssignCaseHandler,
  CaseCommandExecutor,
  CaseRouter,
  AgentAvailability,
  CasesReporting,
  CaseWorkloadHandler,
  ChangeCaseStatusHandler,
  CommentOnCaseHandler,
  CorrectCaseCategoryHandler,
  GetCaseHandler,
  ListCasesHandler,
  OpenCaseHandler,
  ReopenCaseHandler,
  ResolveCaseHandler,
} from './cases';

/**
 * Command and query handlers. The ports they need (EVENT_STORE, CLOCK, CARD_POLICY, PanFingerprinter,
 * CARD_VERIFICATION, IDENTITY_PROVIDER, LookupHasher, MAX_SIMS_PER_ID) are provided by the app that imports this
 * module, through a global infrastructure module.
 */
@Module({
  imports: [CqrsModule],
  providers: [
    { provide: EVENT_CODEC, useClass: PersonalDataEventCodec },
    AggregateRunner,
    CardCommandExecutor,
    IdempotencyStore,
    RegisterCustomerHandler,
    ChangeContactDetailsHandler,
    BiometricCheck,
    VerifyCustomerIdentityHandler,
    EraseCustomerPersonalDataHandler,
    IssueCardHandler,
    VerifyIdentityHandler,
    LinkCardHandler,
    ActivateCardHandler,
    OpenDisputeHandler,
    ResolveDisputeHandler,
    ChangeCardStatusHandler,
    GetCardHandler,
    CardNotificationsHandler,
    GetCustomerHandler,
    SearchCardsHandler,
    FindCustomersHandler,
    SearchAccessLogHandler,
    ListReviewsHandler,
    RecordReviewContactAttemptHandler,
    DecideIdentityReviewHandler,
    RequestIdentityCorrectionHandler,
    DecideIdentityCorrectionHandler,
    ReadYourWrites,
    AuditHistory,
    PersonalDataAccessLog,
    ProcessAnalysis,
    CardNumberClaims,
    IdNumberRegistry,
    SimQuota,
    ImportHistory,
    NumberInventory,
    NumberImports,
    NumberHolds,
    NumberAssignments,
    ReserveNumberHandler,
    ReleaseNumberReservationHandler,
    WithdrawNumberHandler,
    NumberSelection,
    NumberInventoryReporting,
    CaseRouter,
    AgentAvailability,
    CaseCommandExecutor,
    OpenCaseHandler,
    AssignCaseHandler,
    CommentOnCaseHandler,
    ChangeCaseStatusHandler,
    ResolveCaseHandler,
    ReopenCaseHandler,
    CorrectCaseCategoryHandler,
    AnswerCaseSurveyHandler,
    GetCaseHandler,
    ListCasesHandler,
    CaseWorkloadHandler,
    CasesReporting,
  ],
  exports: [CqrsModule, IdempotencyStore, AggregateRunner, ReadYourWrites, ProcessAnalysis, ImportHistory, PersonalDataAccessLog, AuditHistory, NumberImports, NumberSelection, NumberInventoryReporting, CasesReporting, AgentAvailability],
})
export class CardApplicationModule {}
