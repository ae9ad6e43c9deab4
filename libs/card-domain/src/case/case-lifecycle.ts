import type { CaseStatus } from './case.types';

/** What can be done to a case, as far as its status is concerned. */
export const CASE_ACTIONS = ['ASSIGN', 'REASSIGN', 'START', 'WAIT_FOR_CUSTOMER', 'RESOLVE', 'CLOSE', 'REOPEN', 'COMMENT', 'CORRECT_CATEGORY', 'ANSWER_SURVEY', 'ESCALATE'] as const;
export type CaseAction = (typeof CASE_ACTIONS)[number];

/**
 * THE table of a case's statuses: for each status, each action allowed there and the status it leads to.
 * An action missing from a status's row is a 409 naming the status and the actions the row allows.
 *
 *   OPEN → ASSIGNED → IN_PROGRESS ⇄ WAITING_CUSTOMER → RESOLVED → CLOSED
 *                          ▲                               │
 *                          └──── REOPEN (CASE_REOPEN_DAYS) ─┘
 */
export const CASE_TRANSITIONS: Readonly<Record<CaseStatus, Partial<Record<CaseAction, CaseStatus>>>> = {
  OPEN: { ASSIGN: 'ASSIGNED', COMMENT: 'OPEN', CORRECT_CATEGORY: 'OPEN', ESCALATE: 'OPEN' },
  ASSIGNED: { REASSIGN: 'ASSIGNED', START: 'IN_PROGRESS', COMMENT: 'ASSIGNED', CORRECT_CATEGORY: 'ASSIGNED', ESCALATE: 'ASSIGNED' },
  IN_PROGRESS: {
    REASSIGN: 'IN_PROGRESS',
    WAIT_FOR_CUSTOMER: 'WAITING_CUSTOMER',
    RESOLVE: 'RESOLVED',
    COMMENT: 'IN_PROGRESS',
    CORRECT_CATEGORY: 'IN_PROGRESS',
    ESCALATE: 'IN_PROGRESS',
  },
  WAITING_CUSTOMER: {
    REASSIGN: 'WAITING_CUSTOMER',
    START: 'IN_PROGRESS',
    RESOLVE: 'RESOLVED',
    COMMENT: 'WAITING_CUSTOMER',
    CORRECT_CATEGORY: 'WAITING_CUSTOMER',
    ESCALATE: 'WAITING_CUSTOMER',
  },
  RESOLVED: { CLOSE: 'CLOSED', REOPEN: 'IN_PROGRESS', COMMENT: 'RESOLVED', CORRECT_CATEGORY: 'RESOLVED', ANSWER_SURVEY: 'RESOLVED' },
  CLOSED: { ANSWER_SURVEY: 'CLOSED' },
};

/** The actions a case in this status allows, in table order. */
export function allowedCaseActions(status: CaseStatus): CaseAction[] {
  return Object.keys(CASE_TRANSITIONS[status]) as CaseAction[];
}

/** Where the action leads from this status; undefined when the table forbids it. */
export function caseTransition(status: CaseStatus, action: CaseAction): CaseStatus | undefined {
  return CASE_TRANSITIONS[status][action];
}

/** A case somebody still has to work on. */
export function isCaseOpen(status: CaseStatus): boolean {
  return status !== 'RESOLVED' && status !== 'CLOSED';
}
