import { DeciderSpecification } from '../testing/decider-spec';
import { DomainError, ValidationFailed } from '../shared/domain-error';
import { caseDecider } from './case.decider';
import { CASE_ACTIONS, CASE_TRANSITIONS, allowedCaseActions, type CaseAction } from './case-lifecycle';
import { CASE_STATUSES, type CaseCommand, type CaseEvent, type CaseStatus, type OpenCase } from './case.types';

const CASE_ID = '0b8c7a1e-2f3d-4c5b-8a9e-1d2c3b4a5f60';
const CUSTOMER_ID = 'c3f5a3a0-1f0e-4a4b-8c55-0c0a3c1d2e11';
const CARD_ID = '5b0e8f4e-3b9a-4d7e-8d1c-2f7a9c1e4b10';
const T0 = '2026-11-23T09:00:00.000Z';
const at = (minutes: number): string => new Date(Date.parse(T0) + minutes * 60_000).toISOString();
const FIRST_DUE = at(120);
const RESOLUTION_DUE = at(24 * 60);

const spec = DeciderSpecification.for(caseDecider);

function openCase(overrides: Partial<OpenCase> = {}): OpenCase {
  return {
    type: 'OpenCase',
    caseId: CASE_ID,
    caseNumber: 'CS-0B8C7A1E',
    channel: 'PHONE',
    customerId: CUSTOMER_ID,
    cardId: CARD_ID,
    description: '  激活失败，提示CVV错误  ',
    priority: 'HIGH',
    routing: { team: 'activation', ruleId: 'activation', assignee: null },
    firstResponseDueAt: FIRST_DUE,
    resolutionDueAt: RESOLUTION_DUE,
    openedBy: 'agent-1',
    now: T0,
    ...overrides,
  };
}

const opened: CaseEvent = {
  type: 'CaseOpened',
  data: {
    caseId: CASE_ID,
    caseNumber: 'CS-0B8C7A1E',
    channel: 'PHONE',
    customerId: CUSTOMER_ID,
    cardId: CARD_ID,
    description: '激活失败，提示CVV错误',
    priority: 'HIGH',
    category: 'OTHER',
    categorySource: 'DEFAULT',
    proposedCategory: null,
    proposedByRule: null,
    team: 'activation',
    routingRule: 'activation',
    firstResponseDueAt: FIRST_DUE,
    resolutionDueAt: RESOLUTION_DUE,
    openedBy: 'agent-1',
    openedAt: T0,
  },
};
const assigned = (assignee = 'agent-2', minutes = 1, previousAssignee: string | null = null): CaseEvent => ({
  type: 'CaseAssigned',
  data: { team: 'activation', assignee, previousAssignee, assignedBy: 'agent-1', assignedAt: at(minutes) },
});
const firstResponded = (minutes: number, by = 'agent-2'): CaseEvent => ({
  type: 'CaseFirstResponded',
  data: { by, respondedAt: at(minutes), dueAt: FIRST_DUE, withinServiceLevel: at(minutes) <= FIRST_DUE },
});
const statusChanged = (from: CaseStatus, to: CaseStatus, minutes: number): CaseEvent => ({
  type: 'CaseStatusChanged',
  data: { customerId: CUSTOMER_ID, caseNumber: 'CS-0B8C7A1E', from, to, by: 'agent-2', changedAt: at(minutes) },
});
const resolved = (minutes: number): CaseEvent => ({
  type: 'CaseResolved',
  data: { customerId: CUSTOMER_ID, caseNumber: 'CS-0B8C7A1E', resolution: 'Reset the attempts', by: 'agent-2', resolvedAt: at(minutes), withinServiceLevel: true },
});

/** A history that leaves the case in each status. */
const HISTORY: Readonly<Record<CaseStatus, readonly CaseEvent[]>> = {
  OPEN: [opened],
  ASSIGNED: [opened, assigned()],
  IN_PROGRESS: [opened, assigned(), firstResponded(5), statusChanged('ASSIGNED', 'IN_PROGRESS', 5)],
  WAITING_CUSTOMER: [opened, assigned(), firstResponded(5), statusChanged('ASSIGNED', 'IN_PROGRESS', 5), statusChanged('IN_PROGRESS', 'WAITING_CUSTOMER', 6)],
  RESOLVED: [opened, assigned(), firstResponded(5), statusChanged('ASSIGNED', 'IN_PROGRESS', 5), resolved(30)],
  CLOSED: [opened, assigned(), firstResponded(5), statusChanged('ASSIGNED', 'IN_PROGRESS', 5), resolved(30), statusChanged('RESOLVED', 'CLOSED', 40)],
};

/** A valid command for each action (for a case in a status that allows it). */
function commandFor(action: CaseAction, status: CaseStatus): CaseCommand {
  const now = at(3 * 24 * 60);
  switch (action) {
    case 'ASSIGN':
      return { type: 'AssignCase', assignee: 'agent-9', assignedBy: 'agent-1', mayReassign: false, now };
    case 'REASSIGN':
      return { type: 'AssignCase', assignee: 'agent-9', assignedBy: 'sup-1', mayReassign: true, now };
    case 'START':
      return { type: 'ChangeCaseStatus', status: 'IN_PROGRESS', by: 'agent-2', now };
    case 'WAIT_FOR_CUSTOMER':
      return { type: 'ChangeCaseStatus', status: 'WAITING_CUSTOMER', by: 'agent-2', now };
    case 'CLOSE':
      return { type: 'ChangeCaseStatus', status: 'CLOSED', by: 'agent-2', now };
    case 'RESOLVE':
      return { type: 'ResolveCase', resolution: 'Done', by: 'agent-2', now };
    case 'REOPEN':
      return { type: 'ReopenCase', reason: 'Still broken', by: 'agent-2', reopenDays: 7, resolutionDueAt: at(5 * 24 * 60), now };
    case 'COMMENT':
      return { type: 'CommentOnCase', text: 'Called the customer', by: 'agent-2', now };
    case 'CORRECT_CATEGORY':
      return { type: 'CorrectCaseCategory', category: 'ACTIVATION_FAILED', by: 'agent-2', now };
    case 'ANSWER_SURVEY':
      return { type: 'AnswerCaseSurvey', score: 4, via: 'AGENT', by: 'agent-2', now };
    case 'ESCALATE':
      return { type: 'EscalateCase', breach: status === 'OPEN' || status === 'ASSIGNED' ? 'FIRST_RESPONSE' : 'RESOLUTION', toTeam: null, now };
  }
}

describe('caseDecider', () => {
  describe('OpenCase', () => {
    it('opens with the text trimmed, OTHER when nobody chose a category and no rule proposed one, OPEN when nobody is free', () => {
      spec.given([]).when(openCase()).then([opened]);
      expect(spec.given([]).when(openCase()).thenState()).toMatchObject({ status: 'OPEN', assignee: null, team: 'activation' });
    });

    it('takes the rules\' proposal, with its rule, when the opener gives no category', () => {
      const [event] = spec.given([]).when(openCase({ proposed: { category: 'ACTIVATION_FAILED', ruleId: 'recent-failed-activation' } })).then([
        { ...opened, data: { ...opened.data, category: 'ACTIVATION_FAILED', categorySource: 'RULE', proposedCategory: 'ACTIVATION_FAILED', proposedByRule: 'recent-failed-activation' } } as CaseEvent,
      ]);
      expect(event.type).toBe('CaseOpened');
    });

    it('keeps the opener\'s category, and still records what the rules proposed', () => {
      spec.given([]).when(openCase({ category: 'COMPLAINT', proposed: { category: 'ACTIVATION_FAILED', ruleId: 'activation-words' } })).then([
        { ...opened, data: { ...opened.data, category: 'COMPLAINT', categorySource: 'OPENER', proposedCategory: 'ACTIVATION_FAILED', proposedByRule: 'activation-words' } } as CaseEvent,
      ]);
    });

    it('assigns at once when routing found an available agent: ASSIGNED', () => {
      const events = spec.given([]).when(openCase({ routing: { team: 'activation', ruleId: 'activation', assignee: 'agent-2' } })).then([
        opened,
        { type: 'CaseAssigned', data: { team: 'activation', assignee: 'agent-2', previousAssignee: null, assignedBy: 'routing', assignedAt: T0 } },
      ]);
      expect(events).toHaveLength(2);
      expect(spec.given([]).when(openCase({ routing: { team: 'activation', ruleId: 'activation', assignee: 'agent-2' } })).thenState()).toMatchObject({ status: 'ASSIGNED', assignee: 'agent-2' });
    });

    it('opens without customer or card (null, not absent)', () => {
      const [event] = spec.given([]).when(openCase({ customerId: undefined, cardId: undefined })).then([{ ...opened, data: { ...opened.data, customerId: null, cardId: null } } as CaseEvent]);
      expect(event.type).toBe('CaseOpened');
    });

    it('lists every invalid field at once (400)', () => {
      const error = spec
        .given([])
        .when(openCase({ channel: 'FAX' as never, priority: 'SOMEDAY' as never, category: 'NOPE' as never, description: '   ' }))
        .thenThrows('VALIDATION_FAILED') as ValidationFailed;
      expect(error.kind).toBe('invalid');
      expect(error.violations.map((v) => v.field)).toEqual(['channel', 'priority', 'category', 'description']);
    });

    it('refuses a description over 4000 characters (counted as people count them) and control characters', () => {
      expect((spec.given([]).when(openCase({ description: '𠀀'.repeat(4001) })).thenThrows('VALIDATION_FAILED') as ValidationFailed).violations).toEqual([
        { field: 'description', reason: 'must be at most 4000 characters' },
      ]);
      spec.given([]).when(openCase({ description: '𠀀'.repeat(4000) })).thenState();
      spec.given([]).when(openCase({ description: 'bell\u0007' })).thenThrows('VALIDATION_FAILED');
    });

    it('refuses to open a case twice (409)', () => {
      expect(spec.given([opened]).when(openCase()).thenThrows('CASE_ALREADY_OPENED').kind).toBe('conflict');
    });
  });

  describe('every other command on a case that does not exist is a 404', () => {
    it.each(CASE_ACTIONS.filter((a) => a !== 'ASSIGN'))('%s', (action) => {
      expect(spec.given([]).when(commandFor(action, 'IN_PROGRESS')).thenThrows('CASE_NOT_FOUND').kind).toBe('not_found');
    });
  });

  describe('the status table: every allowed action leads where the table says', () => {
    const allowed = CASE_STATUSES.flatMap((status) => allowedCaseActions(status).map((action) => [status, action] as const));
    it.each(allowed)('%s + %s', (status, action) => {
      const state = spec.given(HISTORY[status]).when(commandFor(action, status)).thenState();
      expect(state).toMatchObject({ status: CASE_TRANSITIONS[status][action] });
    });
  });

  describe('the status table: every forbidden action is a 409 naming the status and what it allows', () => {
    const forbidden = CASE_STATUSES.flatMap((status) =>
      CASE_ACTIONS.filter((action) => CASE_TRANSITIONS[status][action] === undefined)
        // ASSIGN on an assigned case is a REASSIGN (and vice versa): the same command, decided by who holds it.
        .filter((action) => !(action === 'ASSIGN' && allowedCaseActions(status).includes('REASSIGN')) && !(action === 'REASSIGN' && status === 'OPEN'))
        .map((action) => [status, action] as const),
    );
    it.each(forbidden)('%s + %s', (status, action) => {
      const error = spec.given(HISTORY[status]).when(commandFor(action, status)).thenThrows('CASE_TRANSITION_NOT_ALLOWED');
      expect(error.kind).toBe('conflict');
      expect(error.details).toMatchObject({ currentStatus: status, allowedActions: allowedCaseActions(status) });
    });
  });

  describe('assignment', () => {
    it('assigns an OPEN case (the team queue) to whoever takes it', () => {
      spec.given([opened]).when({ type: 'AssignCase', assignee: 'agent-7', assignedBy: 'agent-7', mayReassign: false, now: at(2) }).then([
        { type: 'CaseAssigned', data: { team: 'activation', assignee: 'agent-7', previousAssignee: null, assignedBy: 'agent-7', assignedAt: at(2) } },
      ]);
    });

    it('lets a supervisor reassign, to another team too; the status stays', () => {
      const state = spec
        .given(HISTORY.IN_PROGRESS)
        .when({ type: 'AssignCase', assignee: 'agent-9', team: 'activation-l2', assignedBy: 'sup-1', mayReassign: true, now: at(10) })
        .thenState();
      expect(state).toMatchObject({ status: 'IN_PROGRESS', assignee: 'agent-9', team: 'activation-l2' });
    });

    it('refuses an agent taking a case another agent holds (403)', () => {
      const error = spec.given(HISTORY.ASSIGNED).when({ type: 'AssignCase', assignee: 'agent-9', assignedBy: 'agent-9', mayReassign: false, now: at(2) }).thenThrows('REASSIGNMENT_NEEDS_SUPERVISOR');
      expect(error.kind).toBe('forbidden');
    });

    it('writes nothing when the case is already with that agent and team', () => {
      spec.given(HISTORY.ASSIGNED).when({ type: 'AssignCase', assignee: 'agent-2', assignedBy: 'agent-2', mayReassign: false, now: at(2) }).then([]);
    });

    it('refuses a blank assignee (400)', () => {
      spec.given([opened]).when({ type: 'AssignCase', assignee: ' ', assignedBy: 'x', mayReassign: true, now: at(2) }).thenThrows('VALIDATION_FAILED');
    });
  });

  describe('first response', () => {
    it('is recorded with the first comment, within the service level', () => {
      spec.given(HISTORY.ASSIGNED).when({ type: 'CommentOnCase', text: ' Called back ', by: 'agent-2', now: at(20) }).then([
        firstResponded(20),
        { type: 'CaseCommented', data: { customerId: CUSTOMER_ID, text: 'Called back', by: 'agent-2', commentedAt: at(20) } },
      ]);
    });

    it('is recorded once: the second comment is only a comment', () => {
      const events = spec.given([...HISTORY.ASSIGNED, firstResponded(20)]).when({ type: 'CommentOnCase', text: 'Again', by: 'agent-2', now: at(30) }).then([
        { type: 'CaseCommented', data: { customerId: CUSTOMER_ID, text: 'Again', by: 'agent-2', commentedAt: at(30) } },
      ]);
      expect(events).toHaveLength(1);
    });

    it('says when it came too late', () => {
      spec.given(HISTORY.ASSIGNED).when({ type: 'ChangeCaseStatus', status: 'IN_PROGRESS', by: 'agent-2', now: at(180) }).then([
        { type: 'CaseFirstResponded', data: { by: 'agent-2', respondedAt: at(180), dueAt: FIRST_DUE, withinServiceLevel: false } },
        statusChanged('ASSIGNED', 'IN_PROGRESS', 180),
      ]);
    });
  });

  describe('status changes', () => {
    it('IN_PROGRESS → WAITING_CUSTOMER → IN_PROGRESS, each naming the case number and the customer', () => {
      spec.given(HISTORY.IN_PROGRESS).when({ type: 'ChangeCaseStatus', status: 'WAITING_CUSTOMER', by: 'agent-2', now: at(6) }).then([statusChanged('IN_PROGRESS', 'WAITING_CUSTOMER', 6)]);
      spec.given(HISTORY.WAITING_CUSTOMER).when({ type: 'ChangeCaseStatus', status: 'IN_PROGRESS', by: 'agent-2', now: at(7) }).then([statusChanged('WAITING_CUSTOMER', 'IN_PROGRESS', 7)]);
    });

    it('refuses RESOLVED, ASSIGNED or OPEN through the status command (400: they have their own commands)', () => {
      for (const status of ['RESOLVED', 'ASSIGNED', 'OPEN']) {
        const error = spec.given(HISTORY.IN_PROGRESS).when({ type: 'ChangeCaseStatus', status: status as never, by: 'agent-2', now: at(6) }).thenThrows('VALIDATION_FAILED') as ValidationFailed;
        expect(error.violations[0].field).toBe('status');
      }
    });
  });

  describe('resolution, closing and reopening', () => {
    it('resolves with the resolution text, saying whether it met the service level', () => {
      spec.given(HISTORY.IN_PROGRESS).when({ type: 'ResolveCase', resolution: 'Attempts reset', by: 'agent-2', now: at(25 * 60) }).then([
        { type: 'CaseResolved', data: { customerId: CUSTOMER_ID, caseNumber: 'CS-0B8C7A1E', resolution: 'Attempts reset', by: 'agent-2', resolvedAt: at(25 * 60), withinServiceLevel: false } },
      ]);
    });

    it('a resolution without any earlier response is also the first response', () => {
      const events = spec.given(HISTORY.ASSIGNED.concat([statusChanged('ASSIGNED', 'IN_PROGRESS', 2)])).when({ type: 'ResolveCase', resolution: 'x', by: 'agent-2', now: at(3) }).then([
        firstResponded(3),
        { type: 'CaseResolved', data: { customerId: CUSTOMER_ID, caseNumber: 'CS-0B8C7A1E', resolution: 'x', by: 'agent-2', resolvedAt: at(3), withinServiceLevel: true } },
      ]);
      expect(events).toHaveLength(2);
    });

    it('reopens a resolved case within CASE_REOPEN_DAYS of its resolution, with a new resolution deadline', () => {
      const reopenedAt = at(30 + 7 * 24 * 60);
      const state = spec
        .given(HISTORY.RESOLVED)
        .when({ type: 'ReopenCase', reason: 'Still cannot activate', by: 'agent-2', reopenDays: 7, resolutionDueAt: at(9 * 24 * 60), now: reopenedAt })
        .thenState();
      expect(state).toMatchObject({ status: 'IN_PROGRESS', reopenCount: 1, resolutionDueAt: at(9 * 24 * 60) });
    });

    it('refuses a reopen one millisecond after CASE_REOPEN_DAYS (409), checked against the command\'s now', () => {
      const late = new Date(Date.parse(at(30 + 7 * 24 * 60)) + 1).toISOString();
      const error = spec.given(HISTORY.RESOLVED).when({ type: 'ReopenCase', reason: 'x', by: 'a', reopenDays: 7, resolutionDueAt: late, now: late }).thenThrows('REOPEN_PERIOD_OVER');
      expect(error.details).toMatchObject({ reopenableUntil: at(30 + 7 * 24 * 60) });
      spec.given(HISTORY.RESOLVED).when({ type: 'ReopenCase', reason: 'x', by: 'a', reopenDays: 30, resolutionDueAt: late, now: late }).thenState();
    });

    it('refuses to reopen a closed case (409)', () => {
      spec.given(HISTORY.CLOSED).when(commandFor('REOPEN', 'CLOSED')).thenThrows('CASE_TRANSITION_NOT_ALLOWED');
    });
  });

  describe('category correction', () => {
    it('keeps what was proposed, by which rule, and what it was corrected to', () => {
      const ruled: CaseEvent = { ...opened, data: { ...opened.data, category: 'NOTIFICATION_NOT_RECEIVED', categorySource: 'RULE', proposedCategory: 'NOTIFICATION_NOT_RECEIVED', proposedByRule: 'notification-words' } } as CaseEvent;
      spec.given([ruled]).when({ type: 'CorrectCaseCategory', category: 'ACTIVATION_FAILED', by: 'agent-2', now: at(3) }).then([
        {
          type: 'CaseCategoryCorrected',
          data: { from: 'NOTIFICATION_NOT_RECEIVED', to: 'ACTIVATION_FAILED', fromSource: 'RULE', proposedCategory: 'NOTIFICATION_NOT_RECEIVED', proposedByRule: 'notification-words', by: 'agent-2', correctedAt: at(3) },
        },
      ]);
    });

    it('a second correction corrects a correction', () => {
      const first: CaseEvent = { type: 'CaseCategoryCorrected', data: { from: 'OTHER', to: 'COMPLAINT', fromSource: 'DEFAULT', proposedCategory: null, proposedByRule: null, by: 'a', correctedAt: at(2) } };
      const [event] = spec.given([opened, first]).when({ type: 'CorrectCaseCategory', category: 'SUGGESTION', by: 'b', now: at(3) }).then([
        { type: 'CaseCategoryCorrected', data: { from: 'COMPLAINT', to: 'SUGGESTION', fromSource: 'CORRECTION', proposedCategory: null, proposedByRule: null, by: 'b', correctedAt: at(3) } },
      ]);
      expect(event.type).toBe('CaseCategoryCorrected');
    });

    it('refuses the same category, or one that does not exist (400)', () => {
      spec.given([opened]).when({ type: 'CorrectCaseCategory', category: 'OTHER', by: 'a', now: at(3) }).thenThrows('VALIDATION_FAILED');
      spec.given([opened]).when({ type: 'CorrectCaseCategory', category: 'WHATEVER' as never, by: 'a', now: at(3) }).thenThrows('VALIDATION_FAILED');
    });
  });

  describe('the satisfaction survey', () => {
    it('is answered after the resolution, once', () => {
      const answered = spec.given(HISTORY.RESOLVED).when({ type: 'AnswerCaseSurvey', score: 5, comment: ' 很好 ', via: 'LINK', by: 'customer', now: at(100) }).then([
        { type: 'CaseSurveyAnswered', data: { customerId: CUSTOMER_ID, score: 5, comment: '很好', via: 'LINK', by: 'customer', answeredAt: at(100) } },
      ]);
      const error = spec.given([...HISTORY.RESOLVED, ...answered]).when({ type: 'AnswerCaseSurvey', score: 1, via: 'AGENT', by: 'agent-2', now: at(101) }).thenThrows('SURVEY_ALREADY_ANSWERED');
      expect(error.kind).toBe('conflict');
      spec.given([...HISTORY.CLOSED, ...answered]).when({ type: 'AnswerCaseSurvey', score: 1, via: 'AGENT', by: 'agent-2', now: at(101) }).thenThrows('SURVEY_ALREADY_ANSWERED');
    });

    it('has a score from 1 to 5, whole', () => {
      for (const score of [0, 6, 2.5, Number.NaN]) {
        const error = spec.given(HISTORY.RESOLVED).when({ type: 'AnswerCaseSurvey', score, via: 'AGENT', by: 'a', now: at(100) }).thenThrows('VALIDATION_FAILED') as ValidationFailed;
        expect(error.violations).toEqual([{ field: 'score', reason: 'must be a whole number from 1 to 5' }]);
      }
    });

    it('cannot be answered before the resolution (409)', () => {
      spec.given(HISTORY.IN_PROGRESS).when({ type: 'AnswerCaseSurvey', score: 3, via: 'AGENT', by: 'a', now: at(100) }).thenThrows('CASE_TRANSITION_NOT_ALLOWED');
    });
  });

  describe('escalation on a missed service level', () => {
    it('records which level, its deadline, where it goes and who is told; never twice', () => {
      const escalated = spec.given(HISTORY.ASSIGNED).when({ type: 'EscalateCase', breach: 'FIRST_RESPONSE', toTeam: 'activation-l2', now: at(121) }).then([
        {
          type: 'CaseEscalated',
          data: {
            breach: 'FIRST_RESPONSE',
            dueAt: FIRST_DUE,
            escalatedAt: at(121),
            fromTeam: 'activation',
            toTeam: 'activation-l2',
            toRole: 'supervisor',
            assignee: 'agent-2',
            reason: `No first response by ${FIRST_DUE}, the HIGH priority's service level (status ASSIGNED)`,
          },
        },
      ]);
      spec.given([...HISTORY.ASSIGNED, ...escalated]).when({ type: 'EscalateCase', breach: 'FIRST_RESPONSE', toTeam: null, now: at(200) }).thenThrows('ALREADY_ESCALATED');
    });

    it('refuses before the deadline, and for a first response already given (409)', () => {
      spec.given(HISTORY.ASSIGNED).when({ type: 'EscalateCase', breach: 'FIRST_RESPONSE', toTeam: null, now: FIRST_DUE }).thenThrows('SERVICE_LEVEL_NOT_BREACHED');
      spec.given(HISTORY.IN_PROGRESS).when({ type: 'EscalateCase', breach: 'FIRST_RESPONSE', toTeam: null, now: at(500) }).thenThrows('SERVICE_LEVEL_NOT_BREACHED');
    });

    it('a reopen starts a new resolution cycle: its own deadline may be escalated again', () => {
      const breached: CaseEvent = { type: 'CaseEscalated', data: { breach: 'RESOLUTION', dueAt: RESOLUTION_DUE, escalatedAt: at(1500), fromTeam: 'activation', toTeam: null, toRole: 'supervisor', assignee: 'agent-2', reason: 'r' } };
      const reopened: CaseEvent = { type: 'CaseReopened', data: { customerId: CUSTOMER_ID, reason: 'again', by: 'a', reopenedAt: at(1600), resolutionDueAt: at(1700) } };
      const history = [...HISTORY.IN_PROGRESS, breached, resolved(1550), reopened];
      spec.given(history).when({ type: 'EscalateCase', breach: 'RESOLUTION', toTeam: null, now: at(1650) }).thenThrows('SERVICE_LEVEL_NOT_BREACHED');
      expect(spec.given(history).when({ type: 'EscalateCase', breach: 'RESOLUTION', toTeam: null, now: at(1701) }).thenState()).toMatchObject({ breaches: ['RESOLUTION'] });
    });
  });

  it('every error it throws is a DomainError', () => {
    expect(() => caseDecider.decide(commandFor('CLOSE', 'OPEN'), { exists: false })).toThrow(DomainError);
  });
});
