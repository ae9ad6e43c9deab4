import type { Decider } from '../shared/decider';
import { DomainError, ValidationFailed, type FieldViolation } from '../shared/domain-error';
import { instantOf } from '../shared/time';
import { allowedCaseActions, caseTransition, type CaseAction } from './case-lifecycle';
import {
  CASE_CATEGORIES,
  CASE_CHANNELS,
  CASE_PRIORITIES,
  CASE_TEXT_MAX_LENGTH,
  SETTABLE_CASE_STATUSES,
  SURVEY_CHANNELS,
  SURVEY_COMMENT_MAX_LENGTH,
  type AnswerCaseSurvey,
  type AssignCase,
  type CaseCategory,
  type CaseCommand,
  type CaseEvent,
  type CaseState,
  type ChangeCaseStatus,
  type CommentOnCase,
  type CorrectCaseCategory,
  type EscalateCase,
  type OpenCase,
  type OpenedCase,
  type ReopenCase,
  type ResolveCase,
} from './case.types';

const DAY_MS = 86_400_000;
const TEAM_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const AGENT_MAX_LENGTH = 256;

function includes<T extends string>(allowed: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value);
}

/** Free text as people count its length; control characters other than line breaks and tabs are refused. */
function checkText(field: string, value: unknown, max: number, violations: FieldViolation[]): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (text.length === 0) violations.push({ field, reason: 'is required' });
  else if ([...text].length > max) violations.push({ field, reason: `must be at most ${max} characters` });
  else if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) violations.push({ field, reason: 'must not contain control characters' });
  return text;
}

function refuse(state: OpenedCase, action: CaseAction, what: string): never {
  throw new DomainError('conflict', 'CASE_TRANSITION_NOT_ALLOWED', `A case that is ${state.status} cannot ${what}`, {
    caseId: state.caseId,
    currentStatus: state.status,
    allowedActions: allowedCaseActions(state.status),
    action,
  });
}

/** The status the action leads to, or a 409 naming the status and what it allows. */
function transition(state: OpenedCase, action: CaseAction, what: string) {
  const to = caseTransition(state.status, action);
  if (to === undefined) refuse(state, action, what);
  return to;
}

/** The first answer to the customer, when this is it. */
function firstResponse(state: OpenedCase, by: string, now: string): CaseEvent[] {
  if (state.firstRespondedAt !== null) return [];
  return [
    {
      type: 'CaseFirstResponded',
      data: { by, respondedAt: now, dueAt: state.firstResponseDueAt, withinServiceLevel: Date.parse(now) <= Date.parse(state.firstResponseDueAt) },
    },
  ];
}

function openCase(command: OpenCase): CaseEvent[] {
  const violations: FieldViolation[] = [];
  if (!includes(CASE_CHANNELS, command.channel)) violations.push({ field: 'channel', reason: `must be one of ${CASE_CHANNELS.join(', ')}` });
  if (!includes(CASE_PRIORITIES, command.priority)) violations.push({ field: 'priority', reason: `must be one of ${CASE_PRIORITIES.join(', ')}` });
  if (command.category !== undefined && !includes(CASE_CATEGORIES, command.category)) {
    violations.push({ field: 'category', reason: `must be one of ${CASE_CATEGORIES.join(', ')}` });
  }
  const description = checkText('description', command.description, CASE_TEXT_MAX_LENGTH, violations);
  if (!TEAM_PATTERN.test(command.routing.team)) violations.push({ field: 'team', reason: 'must be a team name: letters, digits, . _ - (at most 64)' });
  if (violations.length > 0) throw new ValidationFailed(violations);
  instantOf(command.now);

  const category: CaseCategory = command.category ?? command.proposed?.category ?? 'OTHER';
  const categorySource = command.category !== undefined ? 'OPENER' : command.proposed !== undefined ? 'RULE' : 'DEFAULT';
  const events: CaseEvent[] = [
    {
      type: 'CaseOpened',
      data: {
        caseId: command.caseId,
        caseNumber: command.caseNumber,
        channel: command.channel,
        customerId: command.customerId ?? null,
        cardId: command.cardId ?? null,
        description,
        priority: command.priority,
        category,
        categorySource,
        proposedCategory: command.proposed?.category ?? null,
        proposedByRule: command.proposed?.ruleId ?? null,
        team: command.routing.team,
        routingRule: command.routing.ruleId,
        firstResponseDueAt: command.firstResponseDueAt,
        resolutionDueAt: command.resolutionDueAt,
        openedBy: command.openedBy,
        openedAt: command.now,
      },
    },
  ];
  if (command.routing.assignee !== null) {
    events.push({
      type: 'CaseAssigned',
      data: { team: command.routing.team, assignee: command.routing.assignee, previousAssignee: null, assignedBy: 'routing', assignedAt: command.now },
    });
  }
  return events;
}

function assignCase(command: AssignCase, state: OpenedCase): CaseEvent[] {
  const violations: FieldViolation[] = [];
  const assignee = typeof command.assignee === 'string' ? command.assignee.trim() : '';
  if (assignee.length === 0 || assignee.length > AGENT_MAX_LENGTH) violations.push({ field: 'assignee', reason: `must be an agent id of 1 to ${AGENT_MAX_LENGTH} characters` });
  const team = command.team ?? state.team;
  if (!TEAM_PATTERN.test(team)) violations.push({ field: 'team', reason: 'must be a team name: letters, digits, . _ - (at most 64)' });
  if (violations.length > 0) throw new ValidationFailed(violations);
  // A case routed to a team with nobody free is OPEN (ASSIGN); once assigned it never loses its assignee (REASSIGN).
  const action: CaseAction = state.assignee === null ? 'ASSIGN' : 'REASSIGN';
  transition(state, action, 'be assigned');
  if (state.assignee === assignee && team === state.team) return [];
  if (state.assignee !== null && !command.mayReassign) {
    throw new DomainError('forbidden', 'REASSIGNMENT_NEEDS_SUPERVISOR', 'This case is held by another agent: only a supervisor may reassign it', {
      caseId: state.caseId,
      assignee: state.assignee,
    });
  }
  return [{ type: 'CaseAssigned', data: { team, assignee, previousAssignee: state.assignee, assignedBy: command.assignedBy, assignedAt: command.now } }];
}

function commentOnCase(command: CommentOnCase, state: OpenedCase): CaseEvent[] {
  transition(state, 'COMMENT', 'take comments');
  const violations: FieldViolation[] = [];
  const text = checkText('text', command.text, CASE_TEXT_MAX_LENGTH, violations);
  if (violations.length > 0) throw new ValidationFailed(violations);
  return [
    ...(state.status === 'RESOLVED' ? [] : firstResponse(state, command.by, command.now)),
    { type: 'CaseCommented', data: { customerId: state.customerId, text, by: command.by, commentedAt: command.now } },
  ];
}

function changeCaseStatus(command: ChangeCaseStatus, state: OpenedCase): CaseEvent[] {
  if (!includes(SETTABLE_CASE_STATUSES, command.status)) {
    throw new ValidationFailed([{ field: 'status', reason: `must be one of ${SETTABLE_CASE_STATUSES.join(', ')} (a case is resolved with its resolution, assigned with an assignment)` }]);
  }
  const action: CaseAction = command.status === 'IN_PROGRESS' ? 'START' : command.status === 'WAITING_CUSTOMER' ? 'WAIT_FOR_CUSTOMER' : 'CLOSE';
  const to = transition(state, action, `move to ${command.status}`);
  return [
    ...(action === 'CLOSE' ? [] : firstResponse(state, command.by, command.now)),
    { type: 'CaseStatusChanged', data: { customerId: state.customerId, caseNumber: state.caseNumber, from: state.status, to, by: command.by, changedAt: command.now } },
  ];
}

function resolveCase(command: ResolveCase, state: OpenedCase): CaseEvent[] {
  transition(state, 'RESOLVE', 'be resolved');
  const violations: FieldViolation[] = [];
  const resolution = checkText('resolution', command.resolution, CASE_TEXT_MAX_LENGTH, violations);
  if (violations.length > 0) throw new ValidationFailed(violations);
  return [
    ...firstResponse(state, command.by, command.now),
    {
      type: 'CaseResolved',
      data: {
        customerId: state.customerId,
        caseNumber: state.caseNumber,
        resolution,
        by: command.by,
        resolvedAt: command.now,
        withinServiceLevel: Date.parse(command.now) <= Date.parse(state.resolutionDueAt),
      },
    },
  ];
}

function reopenCase(command: ReopenCase, state: OpenedCase): CaseEvent[] {
  transition(state, 'REOPEN', 'be reopened');
  const violations: FieldViolation[] = [];
  const reason = checkText('reason', command.reason, CASE_TEXT_MAX_LENGTH, violations);
  if (violations.length > 0) throw new ValidationFailed(violations);
  const deadline = Date.parse(state.resolvedAt ?? state.openedAt) + command.reopenDays * DAY_MS;
  if (instantOf(command.now).getTime() > deadline) {
    throw new DomainError('conflict', 'REOPEN_PERIOD_OVER', `A case can be reopened within ${command.reopenDays} days of its resolution`, {
      caseId: state.caseId,
      resolvedAt: state.resolvedAt,
      reopenableUntil: new Date(deadline).toISOString(),
    });
  }
  return [{ type: 'CaseReopened', data: { customerId: state.customerId, reason, by: command.by, reopenedAt: command.now, resolutionDueAt: command.resolutionDueAt } }];
}

function correctCaseCategory(command: CorrectCaseCategory, state: OpenedCase): CaseEvent[] {
  transition(state, 'CORRECT_CATEGORY', 'have its category corrected');
  if (!includes(CASE_CATEGORIES, command.category)) {
    throw new ValidationFailed([{ field: 'category', reason: `must be one of ${CASE_CATEGORIES.join(', ')}` }]);
  }
  if (command.category === state.category) {
    throw new ValidationFailed([{ field: 'category', reason: `is the case's category already (${state.category})` }]);
  }
  return [
    {
      type: 'CaseCategoryCorrected',
      data: {
        from: state.category,
        to: command.category,
        fromSource: state.categoryCorrectedBy === null ? state.categorySource : 'CORRECTION',
        proposedCategory: state.proposedCategory,
        proposedByRule: state.proposedByRule,
        by: command.by,
        correctedAt: command.now,
      },
    },
  ];
}

function answerCaseSurvey(command: AnswerCaseSurvey, state: OpenedCase): CaseEvent[] {
  transition(state, 'ANSWER_SURVEY', 'take a satisfaction survey (it is answered after the resolution)');
  if (state.survey !== null) {
    throw new DomainError('conflict', 'SURVEY_ALREADY_ANSWERED', 'The satisfaction survey of this case was answered already: it is answered once', {
      caseId: state.caseId,
      answeredAt: state.survey.answeredAt,
    });
  }
  const violations: FieldViolation[] = [];
  if (typeof command.score !== 'number' || !Number.isInteger(command.score) || command.score < 1 || command.score > 5) {
    violations.push({ field: 'score', reason: 'must be a whole number from 1 to 5' });
  }
  let comment: string | null = null;
  if (command.comment !== undefined && !(typeof command.comment === 'string' && command.comment.trim() === '')) {
    comment = checkText('comment', command.comment, SURVEY_COMMENT_MAX_LENGTH, violations);
  }
  if (!includes(SURVEY_CHANNELS, command.via)) violations.push({ field: 'via', reason: `must be one of ${SURVEY_CHANNELS.join(', ')}` });
  if (violations.length > 0) throw new ValidationFailed(violations);
  return [{ type: 'CaseSurveyAnswered', data: { customerId: state.customerId, score: command.score, comment, via: command.via, by: command.by, answeredAt: command.now } }];
}

function escalateCase(command: EscalateCase, state: OpenedCase): CaseEvent[] {
  transition(state, 'ESCALATE', 'be escalated');
  if (state.breaches.includes(command.breach)) {
    throw new DomainError('conflict', 'ALREADY_ESCALATED', `This case was escalated for its ${command.breach} service level already`, { caseId: state.caseId, breach: command.breach });
  }
  const dueAt = command.breach === 'FIRST_RESPONSE' ? state.firstResponseDueAt : state.resolutionDueAt;
  const met = command.breach === 'FIRST_RESPONSE' && state.firstRespondedAt !== null;
  if (met || instantOf(command.now).getTime() <= Date.parse(dueAt)) {
    throw new DomainError('conflict', 'SERVICE_LEVEL_NOT_BREACHED', `The ${command.breach} service level of this case is not breached`, {
      caseId: state.caseId,
      breach: command.breach,
      dueAt,
    });
  }
  const what = command.breach === 'FIRST_RESPONSE' ? 'first response' : 'resolution';
  return [
    {
      type: 'CaseEscalated',
      data: {
        breach: command.breach,
        dueAt,
        escalatedAt: command.now,
        fromTeam: state.team,
        toTeam: command.toTeam,
        toRole: 'supervisor',
        assignee: state.assignee,
        reason: `No ${what} by ${dueAt}, the ${state.priority} priority's service level (status ${state.status})`,
      },
    },
  ];
}

const notFound = (): never => {
  throw new DomainError('not_found', 'CASE_NOT_FOUND', 'No such case');
};

export const caseDecider: Decider<CaseCommand, CaseEvent, CaseState> = {
  initialState: { exists: false },

  decide(command, state) {
    if (command.type === 'OpenCase') {
      if (state.exists) throw new DomainError('conflict', 'CASE_ALREADY_OPENED', 'This case exists already', { caseId: state.caseId });
      return openCase(command);
    }
    if (!state.exists) return notFound();
    switch (command.type) {
      case 'AssignCase':
        return assignCase(command, state);
      case 'CommentOnCase':
        return commentOnCase(command, state);
      case 'ChangeCaseStatus':
        return changeCaseStatus(command, state);
      case 'ResolveCase':
        return resolveCase(command, state);
      case 'ReopenCase':
        return reopenCase(command, state);
      case 'CorrectCaseCategory':
        return correctCaseCategory(command, state);
      case 'AnswerCaseSurvey':
        return answerCaseSurvey(command, state);
      case 'EscalateCase':
        return escalateCase(command, state);
    }
  },

  evolve(state, event) {
    if (event.type === 'CaseOpened') {
      const d = event.data;
      return {
        exists: true,
        caseId: d.caseId,
        caseNumber: d.caseNumber,
        channel: d.channel,
        customerId: d.customerId,
        cardId: d.cardId,
        description: d.description,
        priority: d.priority,
        category: d.category,
        categorySource: d.categorySource,
        proposedCategory: d.proposedCategory,
        proposedByRule: d.proposedByRule,
        categoryCorrectedBy: null,
        status: 'OPEN',
        team: d.team,
        assignee: null,
        openedBy: d.openedBy,
        openedAt: d.openedAt,
        firstResponseDueAt: d.firstResponseDueAt,
        resolutionDueAt: d.resolutionDueAt,
        firstRespondedAt: null,
        resolvedAt: null,
        resolution: null,
        closedAt: null,
        reopenCount: 0,
        comments: [],
        breaches: [],
        escalatedToTeam: null,
        survey: null,
      };
    }
    if (!state.exists) return state;
    switch (event.type) {
      case 'CaseAssigned':
        return { ...state, team: event.data.team, assignee: event.data.assignee, status: state.status === 'OPEN' ? 'ASSIGNED' : state.status };
      case 'CaseFirstResponded':
        return { ...state, firstRespondedAt: event.data.respondedAt };
      case 'CaseCommented':
        return { ...state, comments: [...state.comments, { text: event.data.text, by: event.data.by, at: event.data.commentedAt }] };
      case 'CaseStatusChanged':
        return { ...state, status: event.data.to, ...(event.data.to === 'CLOSED' && { closedAt: event.data.changedAt }) };
      case 'CaseResolved':
        return { ...state, status: 'RESOLVED', resolvedAt: event.data.resolvedAt, resolution: event.data.resolution };
      case 'CaseReopened':
        return {
          ...state,
          status: 'IN_PROGRESS',
          reopenCount: state.reopenCount + 1,
          resolutionDueAt: event.data.resolutionDueAt,
          breaches: state.breaches.filter((b) => b !== 'RESOLUTION'),
        };
      case 'CaseCategoryCorrected':
        return { ...state, category: event.data.to, categoryCorrectedBy: event.data.by };
      case 'CaseSurveyAnswered':
        return { ...state, survey: { score: event.data.score, comment: event.data.comment, via: event.data.via, answeredAt: event.data.answeredAt } };
      case 'CaseEscalated':
        return { ...state, breaches: [...state.breaches, event.data.breach], escalatedToTeam: event.data.toTeam ?? state.escalatedToTeam };
      default:
        return state;
    }
  },
};
