import { DomainError } from '@cards/domain';
import { numberHoldsStream, numberStream } from '../shared/streams';
import { residentId, testContext, writeSide, type WriteSide } from '../testing/write-side';
import { NumberHolds } from './number-holds';
import { NumberImports } from './number-import';
import { ReleaseNumberReservationCommand, ReleaseNumberReservationHandler, ReserveNumberCommand, ReserveNumberHandler } from './number-reservations';

const MINUTE = 60_000;
const DAY = 86_400_000;

/** Reservation expiry and quarantine against an injected clock, on a real (SQLite) event store. */
describe('SIM numbers on the write side, with a clock the test moves', () => {
  let w: WriteSide;
  let reserveHandler: ReserveNumberHandler;
  let releaseHandler: ReleaseNumberReservationHandler;
  let imports: NumberImports;
  let n = 0;

  beforeEach(() => {
    w = writeSide({ numbers: { maxReservationsPerCustomer: 1, quarantineDays: 90 } });
    const holds = new NumberHolds(w.store, w.clock, w.numberSettings, w.runner);
    reserveHandler = new ReserveNumberHandler(w.runner, w.numberInventory, holds, w.clock);
    releaseHandler = new ReleaseNumberReservationHandler(w.runner, w.numberInventory);
    imports = new NumberImports(w.numberInventory, w.numberSettings, w.clock);
  });
  afterEach(() => w.close());

  const customer = async () => (await w.register({ idNumber: residentId(++n) })).customerId;
  const reserve = (msisdn: string, customerId: string, ttlSeconds?: number) =>
    reserveHandler.execute(new ReserveNumberCommand({ msisdn, customerId, ...(ttlSeconds && { ttlSeconds }) }, testContext()));
  const refusal = async (attempt: Promise<unknown>): Promise<DomainError> => {
    const error = await attempt.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    return error as DomainError;
  };
  let importCount = 0;
  const importNumbers = (...numbers: string[]) =>
    imports.run(numbers.map((m) => `${m},010`), { format: 'csv', firstLineNumber: 1, importId: `test-import-${++importCount}`, ctx: testContext() });
  const numberEvents = async (msisdn: string) => (await w.store.readStream(numberStream(msisdn))).map((e) => e.type);

  it('a reservation expires by itself: at once, another customer may take the number; the expiry is recorded then', async () => {
    await importNumbers('13800138000');
    const [first, second] = [await customer(), await customer()];
    await reserve('13800138000', first);
    expect(await refusal(reserve('13800138000', second))).toMatchObject({ code: 'NUMBER_NOT_AVAILABLE', details: { currentStatus: 'RESERVED' } });

    w.clock.advance(30 * MINUTE);
    const taken = await reserve('13800138000', second);
    expect(taken.customerId).toBe(second);
    expect(await numberEvents('13800138000')).toEqual(['NumberReserved', 'NumberReservationExpired', 'NumberReserved']);
  });

  it('an expired reservation no longer counts against its customer\'s limit, and is released in their holds stream', async () => {
    await importNumbers('13800138001', '13800138002');
    const customerId = await customer();
    await reserve('13800138001', customerId, 120);
    expect(await refusal(reserve('13800138002', customerId))).toMatchObject({ code: 'RESERVATION_LIMIT_REACHED', details: { maxReservationsPerCustomer: 1, activeReservations: 1 } });
    w.clock.advance(2 * MINUTE);
    await reserve('13800138002', customerId);
    const holds = await w.store.readStream(numberHoldsStream(customerId));
    expect(holds.map((e) => [e.type, e.data.reason ?? e.data.msisdn])).toEqual([
      ['NumberHoldCounted', '13800138001'],
      ['NumberHoldReleased', 'EXPIRED'],
      ['NumberHoldCounted', '13800138002'],
    ]);
  });

  it('a released reservation frees the number and the customer\'s place at once', async () => {
    await importNumbers('13800138003', '13800138004');
    const customerId = await customer();
    const held = await reserve('13800138003', customerId);
    await releaseHandler.execute(new ReleaseNumberReservationCommand('13800138003', held.reservationId, testContext()));
    await reserve('13800138004', customerId);
    expect(await refusal(releaseHandler.execute(new ReleaseNumberReservationCommand('13800138003', held.reservationId, testContext())))).toMatchObject({
      code: 'RESERVATION_NOT_ACTIVE',
    });
  });

  it('a cancelled SIM card\'s number rests NUMBER_QUARANTINE_DAYS, then is available again without any job', async () => {
    await importNumbers('13800138005');
    const [holder, next] = [await customer(), await customer()];
    await reserve('13800138005', holder);
    const { cardId } = await w.issueSim(holder, 1, testContext(), { msisdn: '13800138005' });
    await w.cancel(cardId);
    expect(await numberEvents('13800138005')).toEqual(['NumberReserved', 'NumberAssigned', 'NumberQuarantined']);

    w.clock.advance(89 * DAY);
    expect(await refusal(reserve('13800138005', next))).toMatchObject({ details: { currentStatus: 'QUARANTINED' } });
    w.clock.advance(DAY);
    await reserve('13800138005', next);
    expect(await numberEvents('13800138005')).toEqual(['NumberReserved', 'NumberAssigned', 'NumberQuarantined', 'NumberQuarantineEnded', 'NumberReserved']);
  });

  it('a retried SIM issue assigns the number once; an expired reservation cannot be issued', async () => {
    await importNumbers('13800138006', '13800138007');
    const customerId = await customer();
    await reserve('13800138006', customerId);
    const ctx = testContext({ idempotencyKey: 'issue-1' });
    const first = await w.issueSim(customerId, 2, ctx, { msisdn: '13800138006' });
    const again = await w.issueSim(customerId, 2, ctx, { msisdn: '13800138006' });
    expect(again.cardId).toBe(first.cardId);
    expect(await numberEvents('13800138006')).toEqual(['NumberReserved', 'NumberAssigned']);

    const other = await customer();
    await reserve('13800138007', other, 60);
    w.clock.advance(MINUTE);
    expect(await refusal(w.issueSim(other, 3, testContext(), { msisdn: '13800138007' }))).toMatchObject({ code: 'NUMBER_NOT_RESERVED_FOR_CUSTOMER' });
  });

  it('importing the same numbers again adds nothing, even from two imports at once', async () => {
    const numbers = Array.from({ length: 1500 }, (_, i) => `1390000${String(i).padStart(4, '0')}`);
    const [a, b] = await Promise.all([importNumbers(...numbers), importNumbers(...numbers)]);
    expect(a.imported + b.imported).toBe(1500);
    expect(a.alreadyInInventory + b.alreadyInInventory).toBe(1500);
    const again = await importNumbers(...numbers);
    expect(again).toMatchObject({ imported: 0, alreadyInInventory: 1500 });
    // One block (1390000), written as batch events of at most 1,000 numbers.
    const block = await w.store.readStream('number-block-1390000');
    expect(block.map((e) => (e.data.numbers as unknown[]).length).reduce((x, y) => x + y, 0)).toBe(1500);
    expect(Math.max(...block.map((e) => (e.data.numbers as unknown[]).length))).toBeLessThanOrEqual(1000);
  });
});
