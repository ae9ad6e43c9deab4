import type { Decider } from '../shared/decider';
import { DomainError, ValidationFailed } from '../shared/domain-error';
import { instantOf } from '../shared/time';
import { without } from '../shared/without-undefined';
import {
  initialNumberState,
  MAX_RESERVATION_TTL_SECONDS,
  MIN_RESERVATION_TTL_SECONDS,
  type AssignNumber,
  type InventoryEntry,
  type NumberCommand,
  type NumberEvent,
  type NumberState,
  type NumberStatus,
  type QuarantineNumber,
  type ReleaseNumberReservation,
  type ReserveNumber,
  type WithdrawNumber,
} from './number.types';

const REASON_MAX_LENGTH = 200;
const DAY_MS = 86_400_000;

/** What the number is at `now`: a reservation or quarantine whose instant has passed no longer holds. */
export function numberStatusAt(state: NumberState, now: string): NumberStatus {
  const at = instantOf(now).getTime();
  if (state.recorded === 'RESERVED' && state.reservation && at >= Date.parse(state.reservation.expiresAt)) return 'AVAILABLE';
  if (state.recorded === 'QUARANTINED' && state.quarantine && at >= Date.parse(state.quarantine.until)) return 'AVAILABLE';
  return state.recorded;
}

/** The reservation that holds the number at `now`, if any. */
export function liveReservationAt(state: NumberState, now: string) {
  return numberStatusAt(state, now) === 'RESERVED' ? state.reservation : undefined;
}

/**
 * The events that write down what the clock already decided: a reservation that expired, a quarantine that ended.
 * Dated when it happened, appended before the command's own events.
 */
function lapses(command: NumberCommand, state: NumberState): NumberEvent[] {
  if (numberStatusAt(state, command.now) !== 'AVAILABLE') return [];
  if (state.recorded === 'RESERVED' && state.reservation) {
    const { reservationId, customerId, expiresAt } = state.reservation;
    return [{ type: 'NumberReservationExpired', data: { msisdn: command.msisdn, reservationId, customerId, expiredAt: expiresAt } }];
  }
  if (state.recorded === 'QUARANTINED' && state.quarantine) {
    return [{ type: 'NumberQuarantineEnded', data: { msisdn: command.msisdn, endedAt: state.quarantine.until } }];
  }
  return [];
}

function inInventory(command: NumberCommand): InventoryEntry {
  if (command.inventory === null) {
    throw new DomainError('not_found', 'NUMBER_NOT_FOUND', 'This number is not in the inventory', { msisdn: command.msisdn });
  }
  return command.inventory;
}

function notAllowed(command: NumberCommand, status: NumberStatus): DomainError {
  return new DomainError('conflict', 'NUMBER_TRANSITION_NOT_ALLOWED', `${command.type} is not allowed while the number is ${status}`, {
    msisdn: command.msisdn,
    command: command.type,
    currentStatus: status,
  });
}

function reserve(command: ReserveNumber, state: NumberState): NumberEvent[] {
  const { region, tier } = inInventory(command);
  const ttl = command.ttlSeconds;
  if (!Number.isInteger(ttl) || ttl < MIN_RESERVATION_TTL_SECONDS || ttl > MAX_RESERVATION_TTL_SECONDS) {
    throw new ValidationFailed([{ field: 'ttl', reason: `must be from ${MIN_RESERVATION_TTL_SECONDS} seconds (PT1M) to ${MAX_RESERVATION_TTL_SECONDS / 3600} hours (P1D)` }]);
  }
  const status = numberStatusAt(state, command.now);
  if (status !== 'AVAILABLE') {
    throw new DomainError('conflict', 'NUMBER_NOT_AVAILABLE', `This number is ${status}: choose another`, { msisdn: command.msisdn, currentStatus: status });
  }
  const expiresAt = new Date(instantOf(command.now).getTime() + ttl * 1000).toISOString();
  return [
    ...lapses(command, state),
    {
      type: 'NumberReserved',
      data: { msisdn: command.msisdn, reservationId: command.reservationId, customerId: command.customerId, region, tier, reservedAt: command.now, expiresAt },
    },
  ];
}

function release(command: ReleaseNumberReservation, state: NumberState): NumberEvent[] {
  inInventory(command);
  const outcome = state.reservations[command.reservationId];
  if (outcome === undefined) {
    throw new DomainError('not_found', 'RESERVATION_NOT_FOUND', 'This number has no reservation with this id', {
      msisdn: command.msisdn,
      reservationId: command.reservationId,
    });
  }
  const live = liveReservationAt(state, command.now);
  if (live?.reservationId !== command.reservationId) {
    const ended = outcome === 'LIVE' ? 'EXPIRED' : outcome;
    throw new DomainError('conflict', 'RESERVATION_NOT_ACTIVE', `This reservation has ended (${ended})`, {
      msisdn: command.msisdn,
      reservationId: command.reservationId,
      outcome: ended,
    });
  }
  return [
    {
      type: 'NumberReservationReleased',
      data: { msisdn: command.msisdn, reservationId: live.reservationId, customerId: live.customerId, releasedAt: command.now },
    },
  ];
}

function assign(command: AssignNumber, state: NumberState): NumberEvent[] {
  const { tier } = inInventory(command);
  // The same card again: an issue retried after the assignment was written.
  if (state.recorded === 'ASSIGNED' && state.assignment?.cardId === command.cardId) return [];
  const live = liveReservationAt(state, command.now);
  if (live?.customerId !== command.customerId) {
    const status = numberStatusAt(state, command.now);
    throw new DomainError(
      'conflict',
      'NUMBER_NOT_RESERVED_FOR_CUSTOMER',
      'A SIM card takes a number reserved for its customer: reserve it first (POST /v1/numbers/{msisdn}/reservations)',
      { msisdn: command.msisdn, currentStatus: status },
    );
  }
  return [
    {
      type: 'NumberAssigned',
      data: {
        msisdn: command.msisdn,
        cardId: command.cardId,
        customerId: command.customerId,
        reservationId: live.reservationId,
        tier,
        commitments: { ...command.commitments },
        assignedAt: command.now,
      },
    },
  ];
}

function quarantine(command: QuarantineNumber, state: NumberState): NumberEvent[] {
  inInventory(command);
  // Already resting after this very card: a cancellation retried.
  if (state.quarantine?.cardId === command.cardId && state.recorded !== 'ASSIGNED') return [];
  if (state.recorded !== 'ASSIGNED' || state.assignment?.cardId !== command.cardId) {
    throw new DomainError('conflict', 'NUMBER_NOT_ASSIGNED_TO_CARD', 'This number is not assigned to this card', {
      msisdn: command.msisdn,
      cardId: command.cardId,
      currentStatus: numberStatusAt(state, command.now),
    });
  }
  if (!Number.isInteger(command.quarantineDays) || command.quarantineDays < 0) {
    throw new ValidationFailed([{ field: 'quarantineDays', reason: 'must be a whole number of days from 0' }]);
  }
  const until = new Date(instantOf(command.now).getTime() + command.quarantineDays * DAY_MS).toISOString();
  return [{ type: 'NumberQuarantined', data: { msisdn: command.msisdn, cardId: command.cardId, quarantinedAt: command.now, until } }];
}

function withdraw(command: WithdrawNumber, state: NumberState): NumberEvent[] {
  inInventory(command);
  const status = numberStatusAt(state, command.now);
  if (status !== 'AVAILABLE' && status !== 'QUARANTINED') throw notAllowed(command, status);
  const reason = command.reason.trim();
  if (reason.length === 0 || [...reason].length > REASON_MAX_LENGTH) {
    throw new ValidationFailed([{ field: 'reason', reason: `is required, at most ${REASON_MAX_LENGTH} characters` }]);
  }
  return [...lapses(command, state), { type: 'NumberWithdrawn', data: { msisdn: command.msisdn, reason, withdrawnAt: command.now } }];
}

function decide(command: NumberCommand, state: NumberState): NumberEvent[] {
  switch (command.type) {
    case 'ReserveNumber':
      return reserve(command, state);
    case 'ReleaseNumberReservation':
      return release(command, state);
    case 'AssignNumber':
      return assign(command, state);
    case 'QuarantineNumber':
      return quarantine(command, state);
    case 'WithdrawNumber':
      return withdraw(command, state);
  }
}

function evolve(state: NumberState, event: NumberEvent): NumberState {
  switch (event.type) {
    case 'NumberReserved': {
      const { reservationId, customerId, expiresAt } = event.data;
      return {
        ...without(state, 'assignment', 'quarantine'),
        recorded: 'RESERVED',
        reservation: { reservationId, customerId, expiresAt },
        reservations: { ...state.reservations, [reservationId]: 'LIVE' },
      };
    }
    case 'NumberReservationReleased':
      return { ...without(state, 'reservation'), recorded: 'AVAILABLE', reservations: { ...state.reservations, [event.data.reservationId]: 'RELEASED' } };
    case 'NumberReservationExpired':
      return { ...without(state, 'reservation'), recorded: 'AVAILABLE', reservations: { ...state.reservations, [event.data.reservationId]: 'EXPIRED' } };
    case 'NumberAssigned':
      return {
        ...without(state, 'reservation', 'quarantine'),
        recorded: 'ASSIGNED',
        assignment: { cardId: event.data.cardId, customerId: event.data.customerId },
        reservations: { ...state.reservations, [event.data.reservationId]: 'ASSIGNED' },
      };
    case 'NumberQuarantined':
      return { ...without(state, 'assignment'), recorded: 'QUARANTINED', quarantine: { cardId: event.data.cardId, until: event.data.until } };
    case 'NumberQuarantineEnded':
      return { ...state, recorded: 'AVAILABLE' };
    case 'NumberWithdrawn':
      return { ...without(state, 'reservation'), recorded: 'WITHDRAWN' };
  }
}

/** One number's stream (`number-<msisdn>`), docs/numbers.md. */
export const numberDecider: Decider<NumberCommand, NumberEvent, NumberState> = { initialState: initialNumberState, evolve, decide };
