import { createHash } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { cardDecider, customerDecider, DomainError, fold, type CustomerState } from '@cards/domain';
import {
  AUDIT_STREAM,
  checkCheckpoint,
  EVENT_STORE,
  formatPosition,
  signedBytes,
  verifyChain,
  type EventStore,
  type JsonObject,
  type RecordedEvent,
  type SignedCheckpoint,
} from '@cards/event-store';
import { READ_STORE, type ReadStore } from '@cards/read-store';
import { maskEmail, maskIdNumber, maskName, maskPhone } from '@cards/security';
import type { KeyObject } from 'node:crypto';
import { EVENT_CODEC, plainEventCodec, type EventCodec } from '../../shared/event-codec';
import { cardStream, customerStream } from '../../shared/streams';
import { AUDIT_HEADS, type AuditHeadDocument } from './audit-heads.projection';

/** The public keys checkpoints are verified with (the current signing key's, and former ones). */
export const AUDIT_PUBLIC_KEYS = Symbol('AUDIT_PUBLIC_KEYS');

export type AuditedKind = 'card' | 'customer';

/** An event as auditors see it: everything the store holds, data exactly as stored (so its hash recomputes). */
export interface AuditEvent {
  readonly revision: number;
  readonly position: string;
  readonly id: string;
  readonly type: string;
  readonly data: JsonObject;
  readonly metadata: JsonObject;
  readonly recordedAt: string;
}

export interface AsOf {
  /** Replay up to and including this revision. */
  readonly revision?: number;
  /** Replay what the service had recorded at this instant (the store's recordedAt, not the events' business time). */
  readonly at?: string;
}

export interface ReplayedState {
  readonly streamId: string;
  readonly asOf: { readonly revision: number | null; readonly at: string | null };
  /** False when the aggregate did not exist yet at that point. */
  readonly existed: boolean;
  /** The revision of the last event replayed; null when none. */
  readonly revision: number | null;
  readonly state: object | null;
  readonly events: AuditEvent[];
}

export interface StreamVerification {
  readonly streamId: string;
  readonly ok: boolean;
  readonly eventsChecked: number;
  readonly firstBadRevision?: number;
  readonly problem?: { readonly code: string; readonly message: string };
  /**
   * The latest signed checkpoint naming this stream, and whether the stream still holds the head it signed; null
   * when no checkpoint covers the stream yet (its newest events are then protected by the chain alone).
   */
  readonly checkpoint: { readonly checkpoint: number; readonly revision: number; readonly ok: boolean } | null;
  /** Events after the signed head: a deletion of these could not be told from the chain alone. */
  readonly eventsAfterCheckpoint: number;
}

const streamOf = (kind: AuditedKind, id: string): string => (kind === 'card' ? cardStream(id) : customerStream(id));

function toAuditEvent(e: RecordedEvent): AuditEvent {
  return {
    revision: Number(e.revision),
    position: formatPosition(e.position),
    id: e.id,
    type: e.type,
    data: e.data,
    metadata: e.metadata,
    recordedAt: e.recordedAt.toISOString(),
  };
}

/** A customer's state for auditors: who they are masked; reading personal data in clear is GET /v1/customers/{id}, which is logged. */
function maskedCustomer(state: Extract<CustomerState, { exists: true }>): object {
  const { address, name, idNumber, phone, email, exists: _exists, ...rest } = state;
  return {
    ...rest,
    name: maskName(name),
    idNumber: maskIdNumber(idNumber),
    phone: maskPhone(phone),
    ...(email !== undefined && { email: maskEmail(email) }),
    hasAddress: address !== undefined,
  };
}

/**
 * What auditors read about one card or customer: its events exactly as stored, its state replayed to any revision
 * or instant, and the verification of its hash chain against the latest signed checkpoint.
 */
@Injectable()
export class AuditHistory {
  private readonly codec: EventCodec;

  constructor(
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Optional() @Inject(EVENT_CODEC) codec?: EventCodec,
    @Optional() @Inject(AUDIT_PUBLIC_KEYS) private readonly publicKeys: readonly KeyObject[] = [],
  ) {
    this.codec = codec ?? plainEventCodec;
  }

  async events(kind: AuditedKind, id: string): Promise<{ streamId: string; events: AuditEvent[] }> {
    const streamId = streamOf(kind, id);
    const events = await this.eventStore.readStream(streamId);
    if (events.length === 0) throw notFound(kind, id);
    return { streamId, events: events.map(toAuditEvent) };
  }

  async stateAt(kind: AuditedKind, id: string, asOf: AsOf): Promise<ReplayedState> {
    const streamId = streamOf(kind, id);
    const all = await this.eventStore.readStream(streamId);
    if (all.length === 0) throw notFound(kind, id);
    const at = asOf.at === undefined ? null : Date.parse(asOf.at);
    const replayed = all.filter(
      (e) => (asOf.revision === undefined || Number(e.revision) <= asOf.revision) && (at === null || e.recordedAt.getTime() <= at),
    );
    const decoded = await Promise.all(replayed.map(async (e) => ({ type: e.type, data: await this.codec.decode(streamId, e.type, e.data) })));
    let state: object | null = null;
    if (kind === 'card') {
      const card = fold(cardDecider, decoded as never);
      state = card.exists ? card : null;
    } else {
      const customer = fold(customerDecider, decoded as never);
      state = customer.exists ? maskedCustomer(customer) : null;
    }
    return {
      streamId,
      asOf: { revision: asOf.revision ?? null, at: at === null ? null : new Date(at).toISOString() },
      existed: state !== null,
      revision: replayed.length === 0 ? null : Number(replayed[replayed.length - 1].revision),
      state,
      events: replayed.map(toAuditEvent),
    };
  }

  async verify(kind: AuditedKind, id: string): Promise<StreamVerification> {
    const streamId = streamOf(kind, id);
    const events = await this.eventStore.readStream(streamId);
    const head = (await this.readStore.get(AUDIT_HEADS, streamId)) as unknown as AuditHeadDocument | null;
    if (events.length === 0 && head === null) throw notFound(kind, id);
    const chain = verifyChain(events);
    const base = {
      streamId,
      eventsChecked: chain.eventsChecked,
      ...(!chain.ok && chain.firstBadRevision !== undefined && { firstBadRevision: Number(chain.firstBadRevision) }),
      ...(!chain.ok && chain.problem && { problem: { code: chain.problem.code, message: chain.problem.message } }),
    };
    if (head === null) {
      return { ...base, ok: chain.ok, checkpoint: null, eventsAfterCheckpoint: events.length };
    }
    const signed = await this.signedHead(head);
    const stored = events.find((e) => Number(e.revision) === signed.revision);
    let headProblem: { code: string; message: string } | null = signed.problem;
    if (headProblem === null && events.length === 0) {
      headProblem = { code: 'STREAM_MISSING', message: `Checkpoint ${head.checkpoint} signed ${streamId} at revision ${signed.revision}, but the stream is gone` };
    } else if (headProblem === null && stored === undefined) {
      headProblem = {
        code: 'STREAM_TRUNCATED',
        message: `Checkpoint ${head.checkpoint} signed ${streamId} at revision ${signed.revision}, but the stream ends at revision ${Number(events[events.length - 1].revision)}`,
      };
    } else if (headProblem === null && stored !== undefined && stored.metadata.hash !== signed.hash) {
      headProblem = { code: 'HEAD_MISMATCH', message: `Checkpoint ${head.checkpoint} signed another event at ${streamId}@${signed.revision}` };
    }
    const lastRevision = events.length === 0 ? -1 : Number(events[events.length - 1].revision);
    return {
      ...base,
      ok: chain.ok && headProblem === null,
      ...(chain.ok && headProblem !== null && { firstBadRevision: Math.min(signed.revision, lastRevision + 1), problem: headProblem }),
      checkpoint: { checkpoint: head.checkpoint, revision: signed.revision, ok: headProblem === null },
      eventsAfterCheckpoint: Math.max(0, lastRevision - signed.revision),
    };
  }

  /**
   * The head as the checkpoint event itself says (the index only says where to look): its hash must be the hash
   * of its contents, and its signature valid when the public keys are known.
   */
  private async signedHead(head: AuditHeadDocument): Promise<{ revision: number; hash: string; problem: { code: string; message: string } | null }> {
    const revision = BigInt(head.checkpointRevision);
    const [event] = await this.eventStore.readStream(AUDIT_STREAM, { fromRevision: revision, toRevision: revision });
    const data = event?.data as unknown as SignedCheckpoint | undefined;
    const named = data?.streams?.find((s) => s.streamId === head.streamId);
    if (data === undefined || named === undefined) {
      return { revision: head.revision, hash: head.hash, problem: { code: 'CHECKPOINT_MISSING', message: `Checkpoint ${head.checkpoint}, which signed this stream, is not in ${AUDIT_STREAM} any more` } };
    }
    const problem =
      this.publicKeys.length > 0
        ? checkCheckpoint(data, this.publicKeys)
        : createHash('sha256').update(signedBytes(data)).digest('hex') === data.checkpointHash
          ? null
          : { code: 'BAD_CHECKPOINT_HASH', message: `Checkpoint ${head.checkpoint}: checkpointHash is not the hash of its contents` };
    return { revision: named.revision, hash: named.hash, problem };
  }
}

function notFound(kind: AuditedKind, id: string): DomainError {
  return kind === 'card'
    ? new DomainError('not_found', 'CARD_NOT_FOUND', `No card with id ${id}`, { cardId: id })
    : new DomainError('not_found', 'CUSTOMER_NOT_FOUND', `No customer with id ${id}`, { customerId: id });
}

