import type { NumberTier, TierCommitments } from './tier-rules';

/** docs/numbers.md, "States". RESERVED and QUARANTINED end by themselves when their instant passes. */
export const NUMBER_STATUSES = ['AVAILABLE', 'RESERVED', 'ASSIGNED', 'QUARANTINED', 'WITHDRAWN'] as const;
export type NumberStatus = (typeof NUMBER_STATUSES)[number];

/** What the number's block says about it: it is in inventory, in this region and tier. Null: not in inventory. */
export interface InventoryEntry {
  readonly region: string;
  readonly tier: NumberTier;
}

/** Shortest and longest reservation (seconds), and the default. */
export const MIN_RESERVATION_TTL_SECONDS = 60;
export const MAX_RESERVATION_TTL_SECONDS = 86_400;
export const DEFAULT_RESERVATION_TTL_SECONDS = 1_800;

// ---- commands: each names the number, carries its inventory entry (loaded by the handler) and `now` ----
interface NumberCommandBase {
  readonly msisdn: string;
  readonly inventory: InventoryEntry | null;
  readonly now: string;
}

export interface ReserveNumber extends NumberCommandBase {
  readonly type: 'ReserveNumber';
  readonly reservationId: string;
  readonly customerId: string;
  readonly ttlSeconds: number;
}

export interface ReleaseNumberReservation extends NumberCommandBase {
  readonly type: 'ReleaseNumberReservation';
  readonly reservationId: string;
}

export interface AssignNumber extends NumberCommandBase {
  readonly type: 'AssignNumber';
  readonly cardId: string;
  readonly customerId: string;
  /** The commitments of the number's tier (configuration), recorded with the assignment. */
  readonly commitments: TierCommitments;
}

export interface QuarantineNumber extends NumberCommandBase {
  readonly type: 'QuarantineNumber';
  readonly cardId: string;
  readonly quarantineDays: number;
}

export interface WithdrawNumber extends NumberCommandBase {
  readonly type: 'WithdrawNumber';
  readonly reason: string;
}

export type NumberCommand = ReserveNumber | ReleaseNumberReservation | AssignNumber | QuarantineNumber | WithdrawNumber;

// ---- events (stream `number-<msisdn>`) ----
export interface NumberReserved {
  readonly type: 'NumberReserved';
  readonly data: {
    readonly msisdn: string;
    readonly reservationId: string;
    readonly customerId: string;
    readonly region: string;
    readonly tier: NumberTier;
    readonly reservedAt: string;
    readonly expiresAt: string;
  };
}
export interface NumberReservationReleased {
  readonly type: 'NumberReservationReleased';
  readonly data: { readonly msisdn: string; readonly reservationId: string; readonly customerId: string; readonly releasedAt: string };
}
/** Written lazily, by the next command on the number: `expiredAt` is when it really expired. */
export interface NumberReservationExpired {
  readonly type: 'NumberReservationExpired';
  readonly data: { readonly msisdn: string; readonly reservationId: string; readonly customerId: string; readonly expiredAt: string };
}
export interface NumberAssigned {
  readonly type: 'NumberAssigned';
  readonly data: {
    readonly msisdn: string;
    readonly cardId: string;
    readonly customerId: string;
    readonly reservationId: string;
    readonly tier: NumberTier;
    readonly commitments: TierCommitments;
    readonly assignedAt: string;
  };
}
export interface NumberQuarantined {
  readonly type: 'NumberQuarantined';
  readonly data: { readonly msisdn: string; readonly cardId: string; readonly quarantinedAt: string; readonly until: string };
}
/** Written lazily, by the next command on the number: `endedAt` is the end of the quarantine. */
export interface NumberQuarantineEnded {
  readonly type: 'NumberQuarantineEnded';
  readonly data: { readonly msisdn: string; readonly endedAt: string };
}
export interface NumberWithdrawn {
  readonly type: 'NumberWithdrawn';
  readonly data: { readonly msisdn: string; readonly reason: string; readonly withdrawnAt: string };
}

export type NumberEvent =
  | NumberReserved
  | NumberReservationReleased
  | NumberReservationExpired
  | NumberAssigned
  | NumberQuarantined
  | NumberQuarantineEnded
  | NumberWithdrawn;

export const NUMBER_EVENT_TYPES: readonly NumberEvent['type'][] = [
  'NumberReserved',
  'NumberReservationReleased',
  'NumberReservationExpired',
  'NumberAssigned',
  'NumberQuarantined',
  'NumberQuarantineEnded',
  'NumberWithdrawn',
];

/** How a reservation ended (or that it has not). */
export type ReservationOutcome = 'LIVE' | 'RELEASED' | 'EXPIRED' | 'ASSIGNED';

export interface NumberReservationState {
  readonly reservationId: string;
  readonly customerId: string;
  readonly expiresAt: string;
}

/**
 * A number as its own stream records it. `recorded` is the last status written; what it is *now* also depends on
 * the clock (`numberStatusAt`): a reservation past `expiresAt` and a quarantine past `until` no longer hold.
 */
export interface NumberState {
  readonly recorded: NumberStatus;
  readonly reservation?: NumberReservationState;
  readonly assignment?: { readonly cardId: string; readonly customerId: string };
  readonly quarantine?: { readonly cardId: string; readonly until: string };
  /** Every reservation the number has had, and how it ended. */
  readonly reservations: Readonly<Record<string, ReservationOutcome>>;
}

export const initialNumberState: NumberState = { recorded: 'AVAILABLE', reservations: {} };
