import { DeciderSpecification } from '../testing/decider-spec';
import { numberDecider, numberStatusAt } from './number.decider';
import type { InventoryEntry, NumberCommand, NumberEvent } from './number.types';
import { fold } from '../shared/decider';

const MSISDN = '13800138000';
const INVENTORY: InventoryEntry = { region: '010', tier: 'STANDARD' };
const T0 = '2026-11-23T09:00:00.000Z';
const T0_PLUS_30M = '2026-11-23T09:30:00.000Z';
const T0_PLUS_10M = '2026-11-23T09:10:00.000Z';
const T0_PLUS_1H = '2026-11-23T10:00:00.000Z';
const COMMITMENTS = { minimumMonthlyPlanCny: 0, depositCny: 0 };
const spec = DeciderSpecification.for(numberDecider);

const reserve = (over: Partial<Extract<NumberCommand, { type: 'ReserveNumber' }>> = {}): NumberCommand => ({
  type: 'ReserveNumber', msisdn: MSISDN, inventory: INVENTORY, reservationId: 'r-1', customerId: 'c-1', ttlSeconds: 1800, now: T0, ...over,
});
const release = (reservationId = 'r-1', now = T0_PLUS_10M): NumberCommand => ({ type: 'ReleaseNumberReservation', msisdn: MSISDN, inventory: INVENTORY, reservationId, now });
const assign = (over: Partial<Extract<NumberCommand, { type: 'AssignNumber' }>> = {}): NumberCommand => ({
  type: 'AssignNumber', msisdn: MSISDN, inventory: INVENTORY, cardId: 'card-1', customerId: 'c-1', commitments: COMMITMENTS, now: T0_PLUS_10M, ...over,
});
const quarantine = (over: Partial<Extract<NumberCommand, { type: 'QuarantineNumber' }>> = {}): NumberCommand => ({
  type: 'QuarantineNumber', msisdn: MSISDN, inventory: INVENTORY, cardId: 'card-1', quarantineDays: 90, now: '2026-12-01T00:00:00.000Z', ...over,
});
const withdraw = (now = T0, reason = 'Returned to the operator'): NumberCommand => ({ type: 'WithdrawNumber', msisdn: MSISDN, inventory: INVENTORY, reason, now });

const reserved = (reservationId = 'r-1', customerId = 'c-1', reservedAt = T0, expiresAt = T0_PLUS_30M): NumberEvent => ({
  type: 'NumberReserved', data: { msisdn: MSISDN, reservationId, customerId, region: '010', tier: 'STANDARD', reservedAt, expiresAt },
});
const released = (): NumberEvent => ({ type: 'NumberReservationReleased', data: { msisdn: MSISDN, reservationId: 'r-1', customerId: 'c-1', releasedAt: T0_PLUS_10M } });
const assigned = (): NumberEvent => ({
  type: 'NumberAssigned', data: { msisdn: MSISDN, cardId: 'card-1', customerId: 'c-1', reservationId: 'r-1', tier: 'STANDARD', commitments: COMMITMENTS, assignedAt: T0_PLUS_10M },
});
const QUARANTINE_UNTIL = '2027-03-01T00:00:00.000Z';
const quarantined = (): NumberEvent => ({ type: 'NumberQuarantined', data: { msisdn: MSISDN, cardId: 'card-1', quarantinedAt: '2026-12-01T00:00:00.000Z', until: QUARANTINE_UNTIL } });
const withdrawn = (): NumberEvent => ({ type: 'NumberWithdrawn', data: { msisdn: MSISDN, reason: 'Returned', withdrawnAt: T0 } });

describe('numberDecider', () => {
  describe('AVAILABLE → RESERVED', () => {
    it('reserves an available number for its TTL', () => {
      spec.given([]).when(reserve()).then([reserved()]);
    });

    it('refuses a number that is not in the inventory (404)', () => {
      spec.given([]).when(reserve({ inventory: null })).thenThrows('NUMBER_NOT_FOUND');
    });

    it.each([59, 86_401, 1.5])('refuses a TTL of %p seconds', (ttlSeconds) => {
      spec.given([]).when(reserve({ ttlSeconds })).thenThrows('VALIDATION_FAILED');
    });

    it('refuses a number reserved by someone else while the reservation holds', () => {
      const error = spec.given([reserved()]).when(reserve({ reservationId: 'r-2', customerId: 'c-2', now: T0_PLUS_10M })).thenThrows('NUMBER_NOT_AVAILABLE');
      expect(error.details).toEqual({ msisdn: MSISDN, currentStatus: 'RESERVED' });
    });

    it('refuses a second reservation by the same customer too', () => {
      spec.given([reserved()]).when(reserve({ reservationId: 'r-2', now: T0_PLUS_10M })).thenThrows('NUMBER_NOT_AVAILABLE');
    });

    it('given a reservation that expired, records the expiry (dated when it happened) and reserves again', () => {
      spec
        .given([reserved()])
        .when(reserve({ reservationId: 'r-2', customerId: 'c-2', now: T0_PLUS_1H }))
        .then([
          { type: 'NumberReservationExpired', data: { msisdn: MSISDN, reservationId: 'r-1', customerId: 'c-1', expiredAt: T0_PLUS_30M } },
          reserved('r-2', 'c-2', T0_PLUS_1H, '2026-11-23T10:30:00.000Z'),
        ]);
    });

    it('expires at exactly expiresAt', () => {
      const state = fold(numberDecider, [reserved()]);
      expect(numberStatusAt(state, '2026-11-23T09:29:59.999Z')).toBe('RESERVED');
      expect(numberStatusAt(state, T0_PLUS_30M)).toBe('AVAILABLE');
    });

    it('reserves a released number again without recording anything else', () => {
      spec.given([reserved(), released()]).when(reserve({ reservationId: 'r-2', now: T0_PLUS_1H })).then([reserved('r-2', 'c-1', T0_PLUS_1H, '2026-11-23T10:30:00.000Z')]);
    });

    it('refuses an assigned number', () => {
      spec.given([reserved(), assigned()]).when(reserve({ reservationId: 'r-2', now: '2030-01-01T00:00:00.000Z' })).thenThrows('NUMBER_NOT_AVAILABLE');
    });

    it('refuses a quarantined number until the quarantine ends', () => {
      const error = spec.given([reserved(), assigned(), quarantined()]).when(reserve({ reservationId: 'r-2', now: '2027-02-28T23:59:59.999Z' })).thenThrows('NUMBER_NOT_AVAILABLE');
      expect(error.details.currentStatus).toBe('QUARANTINED');
    });

    it('given a quarantine that ended, records its end and reserves', () => {
      spec
        .given([reserved(), assigned(), quarantined()])
        .when(reserve({ reservationId: 'r-2', customerId: 'c-9', now: '2027-03-01T00:00:00.000Z' }))
        .then([
          { type: 'NumberQuarantineEnded', data: { msisdn: MSISDN, endedAt: QUARANTINE_UNTIL } },
          reserved('r-2', 'c-9', '2027-03-01T00:00:00.000Z', '2027-03-01T00:30:00.000Z'),
        ]);
    });

    it('refuses a withdrawn number', () => {
      spec.given([withdrawn()]).when(reserve({ now: '2030-01-01T00:00:00.000Z' })).thenThrows('NUMBER_NOT_AVAILABLE');
    });
  });

  describe('RESERVED → AVAILABLE (release)', () => {
    it('releases a live reservation', () => {
      spec.given([reserved()]).when(release()).then([released()]);
    });

    it('refuses an unknown reservation id (404)', () => {
      spec.given([reserved()]).when(release('r-x')).thenThrows('RESERVATION_NOT_FOUND');
    });

    it('refuses a reservation that expired', () => {
      const error = spec.given([reserved()]).when(release('r-1', T0_PLUS_1H)).thenThrows('RESERVATION_NOT_ACTIVE');
      expect(error.details.outcome).toBe('EXPIRED');
    });

    it('refuses a reservation released already', () => {
      const error = spec.given([reserved(), released()]).when(release()).thenThrows('RESERVATION_NOT_ACTIVE');
      expect(error.details.outcome).toBe('RELEASED');
    });

    it('refuses a reservation that became an assignment', () => {
      const error = spec.given([reserved(), assigned()]).when(release()).thenThrows('RESERVATION_NOT_ACTIVE');
      expect(error.details.outcome).toBe('ASSIGNED');
    });
  });

  describe('RESERVED → ASSIGNED', () => {
    it('assigns a number reserved by the card\'s customer, recording the tier and its commitments', () => {
      spec.given([reserved()]).when(assign()).then([assigned()]);
    });

    it('records the commitments it is given', () => {
      const commitments = { minimumMonthlyPlanCny: 188, depositCny: 1000 };
      const [event] = spec.given([reserved()]).when(assign({ commitments })).then([
        { ...assigned(), data: { ...assigned().data, commitments } } as NumberEvent,
      ]);
      expect(event.type).toBe('NumberAssigned');
    });

    it('refuses a number reserved by another customer', () => {
      spec.given([reserved()]).when(assign({ customerId: 'c-2' })).thenThrows('NUMBER_NOT_RESERVED_FOR_CUSTOMER');
    });

    it('refuses a number nobody reserved', () => {
      spec.given([]).when(assign()).thenThrows('NUMBER_NOT_RESERVED_FOR_CUSTOMER');
    });

    it('refuses a reservation that expired', () => {
      const error = spec.given([reserved()]).when(assign({ now: T0_PLUS_1H })).thenThrows('NUMBER_NOT_RESERVED_FOR_CUSTOMER');
      expect(error.details.currentStatus).toBe('AVAILABLE');
    });

    it('given the number assigned to this very card (a retried issue), writes nothing', () => {
      spec.given([reserved(), assigned()]).when(assign()).then([]);
    });

    it('refuses a number assigned to another card', () => {
      spec.given([reserved(), assigned()]).when(assign({ cardId: 'card-2' })).thenThrows('NUMBER_NOT_RESERVED_FOR_CUSTOMER');
    });

    it('refuses a number not in the inventory', () => {
      spec.given([]).when(assign({ inventory: null })).thenThrows('NUMBER_NOT_FOUND');
    });
  });

  describe('ASSIGNED → QUARANTINED → AVAILABLE', () => {
    it('quarantines the number of a cancelled card for the configured days', () => {
      spec.given([reserved(), assigned()]).when(quarantine()).then([quarantined()]);
    });

    it('given it quarantined already for this card (a retried cancellation), writes nothing', () => {
      spec.given([reserved(), assigned(), quarantined()]).when(quarantine()).then([]);
    });

    it('refuses a number assigned to another card', () => {
      spec.given([reserved(), assigned()]).when(quarantine({ cardId: 'card-2' })).thenThrows('NUMBER_NOT_ASSIGNED_TO_CARD');
    });

    it('refuses a number that is not assigned', () => {
      spec.given([reserved()]).when(quarantine()).thenThrows('NUMBER_NOT_ASSIGNED_TO_CARD');
    });

    it('is available again, without any event, once the quarantine ends', () => {
      const state = fold(numberDecider, [reserved(), assigned(), quarantined()]);
      expect(numberStatusAt(state, '2027-02-28T23:59:59.999Z')).toBe('QUARANTINED');
      expect(numberStatusAt(state, QUARANTINE_UNTIL)).toBe('AVAILABLE');
    });
  });

  describe('→ WITHDRAWN', () => {
    it('withdraws an available number', () => {
      spec.given([]).when(withdraw(T0)).then([{ type: 'NumberWithdrawn', data: { msisdn: MSISDN, reason: 'Returned to the operator', withdrawnAt: T0 } }]);
    });

    it('withdraws a quarantined number', () => {
      const now = '2026-12-02T00:00:00.000Z';
      spec.given([reserved(), assigned(), quarantined()]).when(withdraw(now)).then([
        { type: 'NumberWithdrawn', data: { msisdn: MSISDN, reason: 'Returned to the operator', withdrawnAt: now } },
      ]);
    });

    it('records an expired reservation before withdrawing', () => {
      const events = spec.given([reserved()]).when(withdraw(T0_PLUS_1H)).thenState();
      expect(events.recorded).toBe('WITHDRAWN');
      expect(events.reservations).toEqual({ 'r-1': 'EXPIRED' });
    });

    it.each([
      ['RESERVED', [reserved()]],
      ['ASSIGNED', [reserved(), assigned()]],
      ['WITHDRAWN', [withdrawn()]],
    ])('refuses a %s number', (status, history) => {
      const error = spec.given(history as NumberEvent[]).when(withdraw(T0_PLUS_10M)).thenThrows('NUMBER_TRANSITION_NOT_ALLOWED');
      expect(error.details.currentStatus).toBe(status);
    });

    it('requires a reason', () => {
      spec.given([]).when(withdraw(T0, '  ')).thenThrows('VALIDATION_FAILED');
    });

    it('stays withdrawn whatever the clock says', () => {
      expect(numberStatusAt(fold(numberDecider, [withdrawn()]), '2099-01-01T00:00:00.000Z')).toBe('WITHDRAWN');
    });
  });
});
