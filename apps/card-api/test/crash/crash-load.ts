import { type ChildProcess } from 'node:child_process';
import { TokenMinter, ROLES } from '@cards/security';
import { CUSTOMER, cvv2For, freshResidentId, futureExpiry, luhnCardNumber } from '../support/test-app';
import type { AppConfig } from '@cards/platform';

/** mulberry32: a small seeded PRNG, so that a run can be told apart and its choices replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Whether card-api is up, for the clients: a request that lost its answer waits here until the process was
 * restarted, then is sent again with the same Idempotency-Key.
 */
export class ServiceGate {
  private up = false;
  private waiters: (() => void)[] = [];
  /** The process now running (or last run), so that the kill loop knows whom to kill. */
  child: ChildProcess | undefined;

  markUp(child: ChildProcess): void {
    this.child = child;
    this.up = true;
    for (const wake of this.waiters.splice(0)) wake();
  }

  markDown(): void {
    this.up = false;
  }

  whenUp(): Promise<void> {
    return this.up ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}

/** One command a client sent, as it finally ended (after its retries). */
export interface CommandRecord {
  readonly client: number;
  /** The Idempotency-Key the client sent, every time it sent this command. */
  readonly key: string;
  /** The caller the service scopes the key to (`<sub> <key>` in event metadata and idempotency records). */
  readonly subject: string;
  readonly kind: CommandKind;
  readonly method: 'POST';
  readonly path: string;
  readonly body: Record<string, unknown>;
  /** The stream the command's events belong to. */
  readonly stream: () => string;
  /** The event types the command must have appended to `stream`, once. */
  readonly expectedTypes: readonly string[];
  /** The statuses it may be answered with (all but the refused activation: 2xx). */
  readonly expectedStatus: number;
  /** How many times it was sent (1 + retries). */
  sends: number;
  /** Sends whose answer never came (connection refused or reset: the process was killed or down). */
  lostAnswers: number;
  /** Answers 5xx (not stored under the key, so sent again). */
  serverErrors: string[];
  status?: number;
  answer?: Record<string, unknown>;
  replayed?: boolean;
  /** When the send that was answered began (Date.now()). */
  answeredSendAt?: number;
}

export type CommandKind =
  | 'register'
  | 'issue'
  | 'verify'
  | 'link'
  | 'wrong-cvv'
  | 'activate'
  | 'suspend'
  | 'reinstate'
  | 'dispute'
  | 'resolve-upheld'
  | 'resolve-rejected'
  | 'cancel';

/** What a client believes of a card, from the answers it got: compared with the events and the read models. */
export interface CardModel {
  cardId: string;
  customerId: string;
  status: string;
  /** The event types its stream must hold, in order. */
  events: string[];
  disputes: { disputeId: string; reason: string; outcome: string | null }[];
}

export interface LoadOptions {
  readonly baseUrl: string;
  readonly gate: ServiceGate;
  readonly config: AppConfig;
  readonly jwtSecret: string;
  readonly clients: number;
  readonly seed: number;
  /** Stop starting new lifecycles once this says so (the kills are done). */
  readonly stopped: () => boolean;
  /** Each client does at least this many lifecycles (so a short run still has work between kills). */
  readonly minLifecycles: number;
}

const MAX_SENDS = 60;

/**
 * Clients driving full card lifecycles over HTTP, each on its own cards, one command at a time; every command
 * with an Idempotency-Key of its own. A command whose answer was lost is sent again, same key and body, once the
 * service is back, until it is answered.
 */
export class LifecycleLoad {
  readonly commands: CommandRecord[] = [];
  readonly cards: CardModel[] = [];
  readonly customers: string[] = [];
  readonly unexpected: string[] = [];
  inFlight = 0;
  private cardSeq = 0;

  constructor(private readonly options: LoadOptions) {}

  async run(): Promise<void> {
    await Promise.all(Array.from({ length: this.options.clients }, (_, i) => this.client(i)));
  }

  private async client(index: number): Promise<void> {
    const random = prng(this.options.seed * 7919 + index + 1);
    const subject = `crash-client-${index}`;
    const token = await TokenMinter.forSecret(this.options.jwtSecret).mint({ subject, roles: ROLES, ttlSeconds: 6 * 3600 });
    let sequence = 0;
    const send = async (kind: CommandKind, path: string, body: Record<string, unknown>, stream: () => string, expectedTypes: readonly string[], expectedStatus: number) => {
      const record: CommandRecord = {
        client: index,
        key: `crash-${this.options.seed}-${index}-${++sequence}`,
        subject,
        kind,
        method: 'POST',
        path,
        body,
        stream,
        expectedTypes,
        expectedStatus,
        sends: 0,
        lostAnswers: 0,
        serverErrors: [],
      };
      this.commands.push(record);
      await this.deliver(record, token);
      if (record.status !== expectedStatus) {
        this.unexpected.push(`${record.key} ${kind} ${path}: answered ${record.status} ${JSON.stringify(record.answer)}, expected ${expectedStatus}`);
        return undefined;
      }
      return record.answer!;
    };

    for (let lifecycle = 0; lifecycle < this.options.minLifecycles || !this.options.stopped(); lifecycle++) {
      const idNumber = freshResidentId();
      const registered = await send('register', '/v1/customers', { ...CUSTOMER, idNumber }, () => `customer-${registered?.customerId as string}`, ['CustomerRegistered'], 201);
      if (!registered) return;
      const customerId = registered.customerId as string;
      this.customers.push(customerId);

      const cardNumber = luhnCardNumber('411111', 16, (this.options.seed % 100_000) * 10_000 + ++this.cardSeq);
      const expiry = futureExpiry();
      const issued = await send(
        'issue',
        '/v1/cards',
        { customerId, product: 'DEBIT', cardNumber, expiry, channel: 'BRANCH', branchId: `BR-${index % 3}` },
        () => `card-${issued?.cardId as string}`,
        ['CardIssued'],
        201,
      );
      if (!issued) return;
      const card: CardModel = { cardId: issued.cardId as string, customerId, status: 'ISSUED', events: ['CardIssued'], disputes: [] };
      this.cards.push(card);
      const stream = () => `card-${card.cardId}`;
      const step = async (kind: CommandKind, path: string, body: Record<string, unknown>, types: readonly string[], status: string, expectedStatus = 200) => {
        const answer = await send(kind, `/v1/cards/${card.cardId}${path}`, body, stream, types, expectedStatus);
        if (answer === undefined) return false;
        card.events.push(...types);
        card.status = status;
        return answer;
      };

      if (random() < 0.08) continue; // left ISSUED
      const verified = await step('verify', '/identity-verifications', { method: 'ID_DOCUMENT', name: CUSTOMER.name, idNumber }, ['IdentityVerified'], 'IDENTITY_VERIFIED');
      if (!verified) return;
      if (verified.result !== 'VERIFIED') this.unexpected.push(`${card.cardId}: identity check answered ${JSON.stringify(verified)}`);
      if (random() < 0.08) continue; // left IDENTITY_VERIFIED
      if (!(await step('link', '/link', { accountId: `ACC-${index}-${lifecycle}` }, ['CardLinked'], 'LINKED'))) return;
      if (random() < 0.08) continue; // left LINKED

      const cvv = cvv2For(this.options.config, cardNumber, expiry);
      if (random() < 0.2) {
        const wrong = String((Number(cvv) + 1) % 1000).padStart(3, '0');
        if (!(await step('wrong-cvv', '/activate', { channel: 'APP', cardNumber, cvv: wrong }, ['ActivationAttemptFailed'], 'LINKED', 422))) return;
      }
      if (!(await step('activate', '/activate', { channel: 'APP', cardNumber, cvv }, ['CardActivated'], 'ACTIVE'))) return;

      const tail = random();
      if (tail < 0.25) {
        if (!(await step('suspend', '/suspend', { reason: 'LOST_REPORTED' }, ['CardSuspended'], 'SUSPENDED'))) return;
        if (random() < 0.6 && !(await step('reinstate', '/reinstate', { reason: 'Found' }, ['CardReinstated'], 'ACTIVE'))) return;
      } else if (tail < 0.5) {
        const reason = (['UNRECOGNIZED_ACTIVATION', 'FRAUD', 'NOT_RECEIVED'] as const)[Math.floor(random() * 3)];
        const opened = await send('dispute', `/v1/cards/${card.cardId}/disputes`, { reason, description: 'Customer disputes it' }, stream, ['CardDisputed'], 201);
        if (!opened) return;
        card.events.push('CardDisputed');
        card.status = 'DISPUTED';
        const dispute = { disputeId: opened.disputeId as string, reason, outcome: null as string | null };
        card.disputes.push(dispute);
        const roll = random();
        if (roll < 0.35) {
          if (!(await step('resolve-upheld', `/disputes/${dispute.disputeId}/resolution`, { outcome: 'UPHELD', note: 'Fraud confirmed' }, ['DisputeResolved', 'CardCancelled'], 'CANCELLED'))) return;
          dispute.outcome = 'UPHELD';
        } else if (roll < 0.7) {
          if (!(await step('resolve-rejected', `/disputes/${dispute.disputeId}/resolution`, { outcome: 'REJECTED', note: 'Activated by the customer' }, ['DisputeResolved'], 'ACTIVE'))) return;
          dispute.outcome = 'REJECTED';
        }
      } else if (tail < 0.65) {
        if (!(await step('cancel', '/cancel', { reason: 'Customer request' }, ['CardCancelled'], 'CANCELLED'))) return;
      }
    }
  }

  /** Sends the command until it is answered other than by a lost connection or a 5xx. */
  private async deliver(record: CommandRecord, token: string): Promise<void> {
    for (;;) {
      if (record.sends >= MAX_SENDS) {
        this.unexpected.push(`${record.key} ${record.kind}: no answer after ${record.sends} sends (${record.serverErrors.slice(-3).join('; ')})`);
        return;
      }
      await this.options.gate.whenUp();
      record.sends += 1;
      this.inFlight += 1;
      const sentAt = Date.now();
      let res: Response;
      let text: string;
      try {
        res = await fetch(`${this.options.baseUrl}${record.path}`, {
          method: record.method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': record.key },
          body: JSON.stringify(record.body),
          signal: AbortSignal.timeout(60_000),
        });
        text = await res.text();
      } catch {
        // The process died under it (reset), or was down (refused): the answer is lost; send it again once it is up.
        record.lostAnswers += 1;
        await sleep(20);
        continue;
      } finally {
        this.inFlight -= 1;
      }
      if (res.status >= 500) {
        record.serverErrors.push(`${res.status} ${text.slice(0, 300)}`);
        await sleep(100);
        continue;
      }
      record.status = res.status;
      record.answer = text.length > 0 ? (JSON.parse(text) as Record<string, unknown>) : {};
      record.replayed = res.headers.get('idempotent-replayed') === 'true';
      record.answeredSendAt = sentAt;
      return;
    }
  }
}
