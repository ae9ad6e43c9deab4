import { applyDecorators } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiHeader, ApiNotFoundResponse, ApiPreconditionFailedResponse } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { allowedCaseActions } from '@cards/domain';
import type { CaseOutcome } from '@cards/application';
import { formatPosition } from '@cards/event-store';
import { etagOf } from '../http/request-context';

/** Every case command answers with where the case now stands, and its ETag for the next If-Match. */
export function caseCommandResponse(outcome: CaseOutcome, reply: FastifyReply) {
  void reply.header('ETag', etagOf(outcome.revision));
  const c = outcome.state;
  return {
    caseId: outcome.caseId,
    caseNumber: c.caseNumber,
    status: c.status,
    category: c.category,
    categorySource: c.categorySource,
    priority: c.priority,
    team: c.team,
    assignee: c.assignee,
    firstResponseDueAt: c.firstResponseDueAt,
    resolutionDueAt: c.resolutionDueAt,
    allowedActions: allowedCaseActions(c.status),
    revision: Number(outcome.revision),
    position: formatPosition(outcome.position),
  };
}

export const CASE_RESPONSE_EXAMPLE = {
  caseId: '0b8c7a1e-2f3d-8c5b-8a9e-1d2c3b4a5f60',
  caseNumber: 'CS-0B8C7A1E',
  status: 'ASSIGNED',
  category: 'ACTIVATION_FAILED',
  categorySource: 'RULE',
  priority: 'HIGH',
  team: 'activation',
  assignee: 'agent-17',
  firstResponseDueAt: '2026-11-23T11:00:00.000Z',
  resolutionDueAt: '2026-11-24T09:00:00.000Z',
  allowedActions: ['REASSIGN', 'START', 'COMMENT', 'CORRECT_CATEGORY', 'ESCALATE'],
  revision: 1,
  position: '42',
};

/** The headers and error answers every command on an existing case shares, for the OpenAPI document. */
export function CaseCommandDocs(): MethodDecorator {
  return applyDecorators(
    ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Retry safely: the same key and body return the same answer and write nothing' }),
    ApiHeader({ name: 'If-Match', required: false, description: 'The case\'s ETag ("<revision>"): the command is refused with 412 if the case has moved on' }),
    ApiBadRequestResponse({ description: 'Malformed input: application/problem+json names each field and why' }),
    ApiNotFoundResponse({ description: 'No such case' }),
    ApiConflictResponse({ description: 'The case\'s status forbids this now (CASE_TRANSITION_NOT_ALLOWED names the status and the allowed actions)' }),
    ApiPreconditionFailedResponse({ description: 'If-Match names an older revision' }),
  );
}
