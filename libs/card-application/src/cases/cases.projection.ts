import { isCaseOpen, type CaseEvent, type CaseStatus } from '@cards/domain';
import type { JsonObject, RecordedEvent } from '@cards/event-store';
import type { Projection, ProjectionView, WriteOp } from '@cards/read-store';

export const CASES = 'cases';

const CASE_STREAM_PREFIX = 'case-';

/**
 * One document per case (docs/cases.md): for the agents' lists, the supervisors' workload, the service-level check
 * and the cases report. It holds ids, codes, times and the survey score, never the texts people wrote (description,
 * comments, resolution, survey comment): those stay encrypted in the case's stream.
 */
export interface CaseDocument {
  readonly _id: string;
  readonly caseId: string;
  readonly caseNumber: string;
  readonly channel: string;
  readonly customerId: string | null;
  readonly cardId: string | null;
  readonly priority: string;
  readonly category: string;
  readonly categorySource: string;
  readonly proposedCategory: string | null;
  readonly proposedByRule: string | null;
  /** The category before the first correction, when an agent corrected it; null otherwise. */
  readonly correctedFrom: string | null;
  readonly corrections: number;
  readonly status: CaseStatus;
  /** Not RESOLVED or CLOSED. */
  readonly open: boolean;
  readonly team: string;
  readonly routingRule: string | null;
  readonly assignee: string | null;
  readonly openedBy: string;
  readonly openedAt: string;
  readonly firstResponseDueAt: string;
  readonly resolutionDueAt: string;
  readonly firstRespondedAt: string | null;
  readonly firstResponseSeconds: number | null;
  readonly resolvedAt: string | null;
  /** Seconds from opening to the (last) resolution. */
  readonly resolutionSeconds: number | null;
  readonly closedAt: string | null;
  readonly reopenCount: number;
  readonly firstResponseBreached: boolean;
  readonly resolutionBreached: boolean;
  /** Breaches over the case's life (a reopened case can breach its resolution level again). */
  readonly breaches: number;
  readonly escalated: boolean;
  readonly escalatedToTeam: string | null;
  readonly lastEscalatedAt: string | null;
  readonly surveyScore: number | null;
  readonly surveyAnsweredAt: string | null;
  readonly updatedAt: string;
  /** The revision of the case's stream this document reflects. */
  readonly revision: number;
}

const seconds = (from: string, to: string): number => Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000));

export const casesProjection: Projection = {
  name: 'cases',
  collections: [
    {
      name: CASES,
      indexes: [
        [{ field: 'openedAt', direction: 'asc' }],
        [{ field: 'assignee', direction: 'asc' }, { field: 'openedAt', direction: 'asc' }],
        [{ field: 'team', direction: 'asc' }, { field: 'openedAt', direction: 'asc' }],
        [{ field: 'status', direction: 'asc' }, { field: 'openedAt', direction: 'asc' }],
        [{ field: 'open', direction: 'asc' }, { field: 'firstResponseDueAt', direction: 'asc' }],
        [{ field: 'open', direction: 'asc' }, { field: 'resolutionDueAt', direction: 'asc' }],
        [{ field: 'caseNumber', direction: 'asc' }],
      ],
    },
  ],

  async project(event: RecordedEvent, view: ProjectionView): Promise<WriteOp[]> {
    if (!event.streamId.startsWith(CASE_STREAM_PREFIX)) return [];
    const caseId = event.streamId.slice(CASE_STREAM_PREFIX.length);
    const e = { type: event.type, data: event.data } as unknown as CaseEvent;
    const revision = Number(event.revision);
    const upsert = (set: Partial<CaseDocument>, updatedAt: string): WriteOp[] => [
      { kind: 'upsert', collection: CASES, id: caseId, set: { ...set, updatedAt, revision } as unknown as JsonObject },
    ];
    if (e.type === 'CaseOpened') {
      const d = e.data;
      const doc: Omit<CaseDocument, '_id'> = {
        caseId,
        caseNumber: d.caseNumber,
        channel: d.channel,
        customerId: d.customerId,
        cardId: d.cardId,
        priority: d.priority,
        category: d.category,
        categorySource: d.categorySource,
        proposedCategory: d.proposedCategory,
        proposedByRule: d.proposedByRule,
        correctedFrom: null,
        corrections: 0,
        status: 'OPEN',
        open: true,
        team: d.team,
        routingRule: d.routingRule,
        assignee: null,
        openedBy: d.openedBy,
        openedAt: d.openedAt,
        firstResponseDueAt: d.firstResponseDueAt,
        resolutionDueAt: d.resolutionDueAt,
        firstRespondedAt: null,
        firstResponseSeconds: null,
        resolvedAt: null,
        resolutionSeconds: null,
        closedAt: null,
        reopenCount: 0,
        firstResponseBreached: false,
        resolutionBreached: false,
        breaches: 0,
        escalated: false,
        escalatedToTeam: null,
        lastEscalatedAt: null,
        surveyScore: null,
        surveyAnsweredAt: null,
        updatedAt: d.openedAt,
        revision,
      };
      return [{ kind: 'upsert', collection: CASES, id: caseId, set: doc as unknown as JsonObject }];
    }
    const current = (await view.get(CASES, caseId)) as unknown as CaseDocument | null;
    if (current === null) return [];
    switch (e.type) {
      case 'CaseAssigned':
        return upsert({ team: e.data.team, assignee: e.data.assignee, ...(current.status === 'OPEN' && { status: 'ASSIGNED' as const }) }, e.data.assignedAt);
      case 'CaseFirstResponded':
        return upsert({ firstRespondedAt: e.data.respondedAt, firstResponseSeconds: seconds(current.openedAt, e.data.respondedAt) }, e.data.respondedAt);
      case 'CaseCommented':
        return upsert({}, e.data.commentedAt);
      case 'CaseStatusChanged':
        return upsert({ status: e.data.to, open: isCaseOpen(e.data.to), ...(e.data.to === 'CLOSED' && { closedAt: e.data.changedAt }) }, e.data.changedAt);
      case 'CaseResolved':
        return upsert({ status: 'RESOLVED', open: false, resolvedAt: e.data.resolvedAt, resolutionSeconds: seconds(current.openedAt, e.data.resolvedAt) }, e.data.resolvedAt);
      case 'CaseReopened':
        return upsert(
          { status: 'IN_PROGRESS', open: true, reopenCount: current.reopenCount + 1, resolutionDueAt: e.data.resolutionDueAt, resolutionBreached: false },
          e.data.reopenedAt,
        );
      case 'CaseCategoryCorrected':
        return upsert({ category: e.data.to, correctedFrom: current.correctedFrom ?? e.data.from, corrections: current.corrections + 1 }, e.data.correctedAt);
      case 'CaseSurveyAnswered':
        return upsert({ surveyScore: e.data.score, surveyAnsweredAt: e.data.answeredAt }, e.data.answeredAt);
      case 'CaseEscalated':
        return upsert(
          {
            ...(e.data.breach === 'FIRST_RESPONSE' ? { firstResponseBreached: true } : { resolutionBreached: true }),
            breaches: current.breaches + 1,
            escalated: true,
            escalatedToTeam: e.data.toTeam ?? current.escalatedToTeam,
            lastEscalatedAt: e.data.escalatedAt,
          },
          e.data.escalatedAt,
        );
      default:
        return [];
    }
  },
};
