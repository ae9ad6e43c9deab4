/**
 * Customer service cases (docs/cases.md): a problem, complaint or piece of feedback, in its own stream
 * `case-<caseId>`, from opening through routing, work, resolution and the customer's satisfaction survey.
 *
 * Free text written by people (description, comments, resolution, reopen reason, survey comment) may hold personal
 * data: those fields are encrypted in the stored events (under the customer's data key when the case has a
 * customer, so erasing the customer erases them too) and never reach a read model, a report or a log. The events
 * that carry such text also carry `customerId`, so the codec knows whose key to use.
 */

export const CASE_CHANNELS = ['PHONE', 'ONLINE_CHAT', 'EMAIL', 'BRANCH', 'APP'] as const;
export type CaseChannel = (typeof CASE_CHANNELS)[number];

export const CASE_CATEGORIES = [
  'ACTIVATION_FAILED',
  'CARD_NOT_RECEIVED',
  'NOTIFICATION_NOT_RECEIVED',
  'IDENTITY_PROBLEM',
  'INFO_CHANGE',
  'NUMBER_REQUEST',
  'COMPLAINT',
  'SUGGESTION',
  'OTHER',
] as const;
export type CaseCategory = (typeof CASE_CATEGORIES)[number];

export const CASE_PRIORITIES = ['LOW', 'MEDIUM', 'HIGH', 'URGENT'] as const;
export type CasePriority = (typeof CASE_PRIORITIES)[number];

export const CASE_STATUSES = ['OPEN', 'ASSIGNED', 'IN_PROGRESS', 'WAITING_CUSTOMER', 'RESOLVED', 'CLOSED'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

/** The statuses the status endpoint may set; RESOLVED has its own command (with the resolution), ASSIGNED too. */
export const SETTABLE_CASE_STATUSES = ['IN_PROGRESS', 'WAITING_CUSTOMER', 'CLOSED'] as const;
export type SettableCaseStatus = (typeof SETTABLE_CASE_STATUSES)[number];

/** Where a case's category came from: the opener, a classification rule, or neither (OTHER). */
export const CATEGORY_SOURCES = ['OPENER', 'RULE', 'DEFAULT'] as const;
export type CategorySource = (typeof CATEGORY_SOURCES)[number];

export const SERVICE_LEVELS = ['FIRST_RESPONSE', 'RESOLUTION'] as const;
export type ServiceLevel = (typeof SERVICE_LEVELS)[number];

export const SURVEY_CHANNELS = ['AGENT', 'LINK'] as const;
export type SurveyChannel = (typeof SURVEY_CHANNELS)[number];

export const CASE_TEXT_MAX_LENGTH = 4000;
export const SURVEY_COMMENT_MAX_LENGTH = 1000;
export const DEFAULT_CASE_REOPEN_DAYS = 7;

// ---- commands ----
export interface OpenCase {
  readonly type: 'OpenCase';
  readonly caseId: string;
  /** What the customer is told ("CS-1A2B3C4D"): derived from the case id by the handler. */
  readonly caseNumber: string;
  readonly channel: CaseChannel;
  readonly customerId?: string;
  readonly cardId?: string;
  readonly description: string;
  readonly priority: CasePriority;
  /** The opener's category; when absent, `proposed` (the classification rules') is used, else OTHER. */
  readonly category?: CaseCategory;
  readonly proposed?: { readonly category: CaseCategory; readonly ruleId: string };
  /** Where routing put it: the team, the rule that chose it (null: the default queue), and the agent if one was free. */
  readonly routing: { readonly team: string; readonly ruleId: string | null; readonly assignee: string | null };
  /** The service levels in force for its priority, as instants. */
  readonly firstResponseDueAt: string;
  readonly resolutionDueAt: string;
  readonly openedBy: string;
  readonly now: string;
}

export interface AssignCase {
  readonly type: 'AssignCase';
  readonly assignee: string;
  /** Another team, when the case moves; the current one otherwise. */
  readonly team?: string;
  readonly assignedBy: string;
  /** A supervisor may take a case from its assignee; anyone may assign a case nobody holds. */
  readonly mayReassign: boolean;
  readonly now: string;
}

export interface CommentOnCase {
  readonly type: 'CommentOnCase';
  readonly text: string;
  readonly by: string;
  readonly now: string;
}

export interface ChangeCaseStatus {
  readonly type: 'ChangeCaseStatus';
  readonly status: SettableCaseStatus;
  readonly by: string;
  readonly now: string;
}

export interface ResolveCase {
  readonly type: 'ResolveCase';
  readonly resolution: string;
  readonly by: string;
  readonly now: string;
}

export interface ReopenCase {
  readonly type: 'ReopenCase';
  readonly reason: string;
  readonly by: string;
  /** CASE_REOPEN_DAYS: how long after its resolution a case may be reopened. */
  readonly reopenDays: number;
  /** The new resolution deadline (the priority's resolution service level from now). */
  readonly resolutionDueAt: string;
  readonly now: string;
}

export interface CorrectCaseCategory {
  readonly type: 'CorrectCaseCategory';
  readonly category: CaseCategory;
  readonly by: string;
  readonly now: string;
}

export interface AnswerCaseSurvey {
  readonly type: 'AnswerCaseSurvey';
  readonly score: number;
  readonly comment?: string;
  readonly via: SurveyChannel;
  readonly by: string;
  readonly now: string;
}

/** A service level was missed: the case goes to the supervisors (and a second-level team, if the team has one). */
export interface EscalateCase {
  readonly type: 'EscalateCase';
  readonly breach: ServiceLevel;
  readonly toTeam: string | null;
  readonly now: string;
}

export type CaseCommand =
  | OpenCase
  | AssignCase
  | CommentOnCase
  | ChangeCaseStatus
  | ResolveCase
  | ReopenCase
  | CorrectCaseCategory
  | AnswerCaseSurvey
  | EscalateCase;

// ---- events ----
export interface CaseOpened {
  readonly type: 'CaseOpened';
  readonly data: {
    readonly caseId: string;
    readonly caseNumber: string;
    readonly channel: CaseChannel;
    readonly customerId: string | null;
    readonly cardId: string | null;
    /** Personal data: encrypted in the stored event. */
    readonly description: string;
    readonly priority: CasePriority;
    readonly category: CaseCategory;
    readonly categorySource: CategorySource;
    /** What the rules proposed (also when the opener chose another category), with the rule; null when none matched. */
    readonly proposedCategory: CaseCategory | null;
    readonly proposedByRule: string | null;
    readonly team: string;
    readonly routingRule: string | null;
    readonly firstResponseDueAt: string;
    readonly resolutionDueAt: string;
    readonly openedBy: string;
    readonly openedAt: string;
  };
}

export interface CaseAssigned {
  readonly type: 'CaseAssigned';
  readonly data: {
    readonly team: string;
    readonly assignee: string;
    readonly previousAssignee: string | null;
    readonly assignedBy: string;
    readonly assignedAt: string;
  };
}

/** The first answer to the customer's problem (a comment, work started, a question, or the resolution). */
export interface CaseFirstResponded {
  readonly type: 'CaseFirstResponded';
  readonly data: { readonly by: string; readonly respondedAt: string; readonly dueAt: string; readonly withinServiceLevel: boolean };
}

export interface CaseCommented {
  readonly type: 'CaseCommented';
  readonly data: { readonly customerId: string | null; readonly text: string; readonly by: string; readonly commentedAt: string };
}

export interface CaseStatusChanged {
  readonly type: 'CaseStatusChanged';
  readonly data: { readonly customerId: string | null; readonly caseNumber: string; readonly from: CaseStatus; readonly to: CaseStatus; readonly by: string; readonly changedAt: string };
}

export interface CaseResolved {
  readonly type: 'CaseResolved';
  readonly data: {
    readonly customerId: string | null;
    readonly caseNumber: string;
    readonly resolution: string;
    readonly by: string;
    readonly resolvedAt: string;
    readonly withinServiceLevel: boolean;
  };
}

export interface CaseReopened {
  readonly type: 'CaseReopened';
  readonly data: { readonly customerId: string | null; readonly reason: string; readonly by: string; readonly reopenedAt: string; readonly resolutionDueAt: string };
}

export interface CaseCategoryCorrected {
  readonly type: 'CaseCategoryCorrected';
  readonly data: {
    readonly from: CaseCategory;
    readonly to: CaseCategory;
    /** How the category being corrected was set, and by which rule: the report on how well the rules do. */
    readonly fromSource: CategorySource | 'CORRECTION';
    readonly proposedCategory: CaseCategory | null;
    readonly proposedByRule: string | null;
    readonly by: string;
    readonly correctedAt: string;
  };
}

export interface CaseSurveyAnswered {
  readonly type: 'CaseSurveyAnswered';
  readonly data: {
    readonly customerId: string | null;
    readonly score: number;
    /** Personal data: encrypted in the stored event; null when none was given. */
    readonly comment: string | null;
    readonly via: SurveyChannel;
    readonly by: string;
    readonly answeredAt: string;
  };
}

export interface CaseEscalated {
  readonly type: 'CaseEscalated';
  readonly data: {
    readonly breach: ServiceLevel;
    readonly dueAt: string;
    readonly escalatedAt: string;
    readonly fromTeam: string;
    /** The team's second level, when it has one; the supervisors see every escalated case either way. */
    readonly toTeam: string | null;
    readonly toRole: 'supervisor';
    /** Who is told (the case's assignee), null when nobody holds it. */
    readonly assignee: string | null;
    /** Why, in words: which service level, its deadline and the priority. Never free text from a person. */
    readonly reason: string;
  };
}

export type CaseEvent =
  | CaseOpened
  | CaseAssigned
  | CaseFirstResponded
  | CaseCommented
  | CaseStatusChanged
  | CaseResolved
  | CaseReopened
  | CaseCategoryCorrected
  | CaseSurveyAnswered
  | CaseEscalated;

export type CaseEventType = CaseEvent['type'];

/** Which fields of which case events are free text written by a person (encrypted when stored). */
export const CASE_TEXT_FIELDS: Readonly<Partial<Record<CaseEventType, readonly string[]>>> = {
  CaseOpened: ['description'],
  CaseCommented: ['text'],
  CaseResolved: ['resolution'],
  CaseReopened: ['reason'],
  CaseSurveyAnswered: ['comment'],
};

// ---- state ----
export interface CaseComment {
  readonly text: string;
  readonly by: string;
  readonly at: string;
}

export type CaseState =
  | { readonly exists: false }
  | {
      readonly exists: true;
      readonly caseId: string;
      readonly caseNumber: string;
      readonly channel: CaseChannel;
      readonly customerId: string | null;
      readonly cardId: string | null;
      readonly description: string;
      readonly priority: CasePriority;
      readonly category: CaseCategory;
      readonly categorySource: CategorySource;
      readonly proposedCategory: CaseCategory | null;
      readonly proposedByRule: string | null;
      /** Set once an agent corrected the category. */
      readonly categoryCorrectedBy: string | null;
      readonly status: CaseStatus;
      readonly team: string;
      readonly assignee: string | null;
      readonly openedBy: string;
      readonly openedAt: string;
      readonly firstResponseDueAt: string;
      readonly resolutionDueAt: string;
      readonly firstRespondedAt: string | null;
      readonly resolvedAt: string | null;
      readonly resolution: string | null;
      readonly closedAt: string | null;
      readonly reopenCount: number;
      readonly comments: readonly CaseComment[];
      /** Service levels missed in the current cycle (a reopen starts a new resolution cycle). */
      readonly breaches: readonly ServiceLevel[];
      readonly escalatedToTeam: string | null;
      readonly survey: { readonly score: number; readonly comment: string | null; readonly via: SurveyChannel; readonly answeredAt: string } | null;
    };

export type OpenedCase = Extract<CaseState, { exists: true }>;
