import { residentIdCheckCharacter } from '@cards/domain';
import { SqliteEventStore } from '@cards/event-store';
import { LookupHasher, MasterKeyRing, PanFingerprinter, PersonalDataCipher } from '@cards/security';
import { InMemoryDataKeyStore } from '@cards/security/pii/testing/in-memory-data-key-store';
import { OpenDisputeCommand, OpenDisputeHandler } from '../disputes/open-dispute.command';
import { ResolveDisputeCommand, ResolveDisputeHandler } from '../disputes/resolve-dispute.command';
import { EraseCustomerPersonalDataCommand, EraseCustomerPersonalDataHandler } from '../erase-personal-data/erase-personal-data.command';
import { CardNumberClaims } from '../issue-card/card-number-claims';
import { IssueCardCommand, IssueCardHandler, type IssueCardInput } from '../issue-card/issue-card.command';
import { SimQuota } from '../issue-card/sim-quota';
import { IdNumberRegistry } from '../register-customer/id-number-registry';
import { RegisterCustomerCommand, RegisterCustomerHandler, type RegisterCustomerInput } from '../register-customer/register-customer.command';
import { AggregateRunner } from '../shared/aggregate-runner';
import { CardCommandExecutor } from '../shared/card-command-executor';
import type { Clock } from '../shared/clock';
import type { CommandContext } from '../shared/command-context';
import { PersonalDataEventCodec } from '../shared/personal-data-codec';
import { ChangeCardStatusCommand, ChangeCardStatusHandler } from '../suspend-reinstate-cancel/card-status-change.command';
import { NumberAssignments } from '../numbers/number-assignments';
import { NumberInventory } from '../numbers/number-inventory';
import { DEFAULT_NUMBER_SETTINGS, type NumberSettings } from '../numbers/number-settings';

/** A clock that runs with real time, moved ahead on demand (the store's own `recordedAt` stays real). */
export class MovableClock implements Clock {
  private aheadMs = 0;
  now(): Date {
    return new Date(Date.now() + this.aheadMs);
  }
  advance(ms: number): void {
    this.aheadMs += ms;
  }
}

export function testContext(overrides: Partial<CommandContext> = {}): CommandContext {
  return { actor: { id: 'teller-7', role: 'issuer' }, correlationId: 'corr-1', causationId: 'req-1', ...overrides };
}

/** A valid mainland resident id (GB 11643-1999 check character), different for every n (0 ≤ n < 1000). */
export function residentId(n: number, birthDate = '19900101'): string {
  const first17 = `110105${birthDate}${String(n).padStart(3, '0')}`;
  return first17 + residentIdCheckCharacter(first17);
}

/** A Luhn-valid 19-digit ICCID, different for every n. */
export function iccid(n: number): string {
  const body = `898600${String(n).padStart(12, '0')}`;
  for (let check = 0; check <= 9; check++) {
    const candidate = body + String(check);
    let sum = 0;
    for (let i = 0; i < candidate.length; i++) {
      let digit = Number(candidate[candidate.length - 1 - i]);
      if (i % 2 === 1) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
      sum += digit;
    }
    if (sum % 10 === 0) return candidate;
  }
  throw new Error('unreachable');
}

export const TEST_CUSTOMER = { name: '张三', idType: 'CN_RESIDENT_ID', phone: '13800138000' } as const;

/**
 * The write side of customers and cards wired by hand over a real SQLite event store (in memory), with personal
 * data encrypted as in the service: registration, erasure, issue, cancellation and disputes.
 */
export function writeSide(options: { maxSimsPerId?: number; numbers?: Partial<NumberSettings> } = {}) {
  const store = SqliteEventStore.open(':memory:');
  const clock = new MovableClock();
  const cipher = new PersonalDataCipher({ store: new InMemoryDataKeyStore(), ring: MasterKeyRing.parse('a1'.repeat(32)) });
  const runner = new AggregateRunner(store, clock, new PersonalDataEventCodec(cipher));
  const hasher = new LookupHasher('5e'.repeat(32));
  const registry = new IdNumberRegistry(store, hasher, clock);
  const simQuota = new SimQuota(store, hasher, clock, options.maxSimsPerId ?? 5, runner);
  const numberSettings: NumberSettings = { ...DEFAULT_NUMBER_SETTINGS, ...options.numbers };
  const numberInventory = new NumberInventory(store);
  const numberAssignments = new NumberAssignments(runner, numberInventory, numberSettings);
  const cards = new CardCommandExecutor(runner, simQuota, numberAssignments);
  const fingerprinter = new PanFingerprinter('7c'.repeat(32));
  const registerHandler = new RegisterCustomerHandler(runner, registry, clock);
  const eraseHandler = new EraseCustomerPersonalDataHandler(runner, cipher, registry);
  const issueHandler = new IssueCardHandler(cards, runner, new CardNumberClaims(store), simQuota, fingerprinter, numberAssignments);
  const statusHandler = new ChangeCardStatusHandler(cards);
  const openDisputeHandler = new OpenDisputeHandler(cards);
  const resolveDisputeHandler = new ResolveDisputeHandler(cards);

  return {
    store,
    clock,
    runner,
    hasher,
    registry,
    simQuota,
    fingerprinter,
    numberSettings,
    numberInventory,
    numberAssignments,
    register: (input: Partial<RegisterCustomerInput> & { idNumber: string }, ctx = testContext()) =>
      registerHandler.execute(new RegisterCustomerCommand({ ...TEST_CUSTOMER, ...input }, ctx)),
    erase: (customerId: string, ctx = testContext({ actor: { id: 'dpo-1', role: 'admin' } })) =>
      eraseHandler.execute(new EraseCustomerPersonalDataCommand(customerId, 'PIPL request', ctx)),
    issueSim: (customerId: string, n: number, ctx = testContext(), extra: Partial<IssueCardInput> = {}) =>
      issueHandler.execute(new IssueCardCommand({ customerId, product: 'SIM', cardNumber: iccid(n), channel: 'BRANCH', branchId: 'BJ-001', ...extra }, ctx)),
    cancel: (cardId: string, ctx = testContext()) => statusHandler.execute(new ChangeCardStatusCommand(cardId, 'CancelCard', 'Customer request', ctx)),
    suspend: (cardId: string, ctx = testContext()) => statusHandler.execute(new ChangeCardStatusCommand(cardId, 'SuspendCard', 'Lost', ctx)),
    openDispute: (cardId: string, disputeId: string, ctx = testContext()) =>
      openDisputeHandler.execute(new OpenDisputeCommand(cardId, { reason: 'FRAUD', description: 'Not the customer', disputeId }, ctx)),
    upholdDispute: (cardId: string, disputeId: string, ctx = testContext()) =>
      resolveDisputeHandler.execute(new ResolveDisputeCommand(cardId, disputeId, { outcome: 'UPHELD', note: 'Confirmed fraud' }, ctx)),
    close: () => store.close(),
  };
}

export type WriteSide = ReturnType<typeof writeSide>;
