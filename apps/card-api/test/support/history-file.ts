import { randomUUID } from 'node:crypto';
import { freshPassportNumber, freshResidentId, luhnCardNumber, nextSeed } from './test-app';

export interface ImportedCard {
  readonly cardId: string;
  readonly customerId: string;
  readonly product: string;
  readonly cardNumber: string;
  readonly issuedAt: string;
  /** Where the history leaves the card. */
  readonly status: string;
}

/** A card history as an old CRM would export it: JSON Lines, one command per line, oldest first. */
export interface HistoryFile {
  readonly lines: readonly string[];
  /** The file's text: the lines, each ending with a newline. */
  readonly text: string;
  readonly customerIds: readonly string[];
  readonly cards: readonly ImportedCard[];
  /** Every occurredAt of the file, as UTC ISO strings, in file order. */
  readonly times: readonly string[];
  /** Events its lines cause (a dispute resolved UPHELD also cancels the card). */
  readonly eventCount: number;
  /**
   * Events the import writes besides those, to claim streams: one card-number claim per card, one id-document claim
   * per customer, one count per SIM card and one release per SIM card cancelled (docs/identity.md, "Real-name rules").
   */
  readonly claimEventCount: number;
}

type Line = Record<string, unknown> & { command: string };

/**
 * About fifty lines covering every command of the import: three customers and nine cards of every product,
 * through verification (one failed attempt), linking, activation, suspension, reinstatement, disputes resolved
 * both ways, and cancellation. Ids, id numbers and card numbers are new on every call; times start at `start` and
 * step forward by `stepMinutes`.
 */
export function historyFile(start = '2025-03-03T01:00:00.000Z', stepMinutes = 53): HistoryFile {
  const lines: Line[] = [];
  const cards: ImportedCard[] = [];
  const times: string[] = [];
  let eventCount = 0;
  const at = (): string => new Date(Date.parse(start) + times.length * stepMinutes * 60_000).toISOString();
  const add = (line: Line, events = 1): string => {
    const occurredAt = at();
    times.push(occurredAt);
    const { command, ...fields } = line;
    lines.push({ command, occurredAt, ...fields });
    eventCount += events;
    return occurredAt;
  };

  const zhang = randomUUID();
  const li = randomUUID();
  const wang = randomUUID();
  // One customer per id document: each file has documents of its own.
  const [zhangId, liId, wangId] = [freshResidentId(), freshPassportNumber(), freshPassportNumber()];
  add({ command: 'RegisterCustomer', customerId: zhang, name: '张三', idType: 'CN_RESIDENT_ID', idNumber: zhangId, phone: '13800138000', email: 'zhang.san@example.com', preferredChannels: ['SMS', 'EMAIL'], locale: 'zh-CN' });
  add({ command: 'RegisterCustomer', customerId: li, name: 'Li Si', idType: 'PASSPORT', idNumber: liId, phone: '+447911123456', locale: 'en' });
  add({ command: 'RegisterCustomer', customerId: wang, name: 'Wang Wu', idType: 'PASSPORT', idNumber: wangId, phone: '13900139000', address: { line1: '南京路 100 号', city: '上海', country: 'CN' } });

  const identity: Record<string, { name: string; idNumber: string }> = {
    [zhang]: { name: '张 三', idNumber: zhangId.toLowerCase() },
    [li]: { name: 'Li Si', idNumber: liId },
    [wang]: { name: 'Wang Wu', idNumber: wangId },
  };

  const issue = (customerId: string, product: string, channel: string, extra: Record<string, unknown> = {}) => {
    const cardId = randomUUID();
    const cardNumber = product === 'SIM' ? luhnCardNumber('898600', 19, nextSeed()) : luhnCardNumber(product === 'CREDIT' ? '522222' : '411111', 16, nextSeed());
    const expiry = product === 'DEBIT' || product === 'CREDIT' ? { expiry: '12/27' } : {};
    const issuedAt = add({ command: 'IssueCard', cardId, customerId, product, cardNumber, ...expiry, channel, ...extra });
    const card = { cardId, customerId, product, cardNumber, issuedAt, status: 'ISSUED' };
    cards.push(card);
    return card;
  };
  const verify = (card: ImportedCard, extra: Record<string, unknown> = {}) =>
    add({ command: 'VerifyIdentity', cardId: card.cardId, method: 'ID_DOCUMENT', ...identity[card.customerId], ...extra });
  const link = (card: ImportedCard, accountId: string) => add({ command: 'LinkCard', cardId: card.cardId, accountId });
  const activate = (card: ImportedCard, channel: string) => add({ command: 'ActivateCard', cardId: card.cardId, channel });
  const suspend = (card: ImportedCard, reason: string) => add({ command: 'SuspendCard', cardId: card.cardId, reason });
  const reinstate = (card: ImportedCard, reason?: string) => add({ command: 'ReinstateCard', cardId: card.cardId, ...(reason && { reason }) });
  const cancel = (card: ImportedCard, reason: string) => add({ command: 'CancelCard', cardId: card.cardId, reason });
  const dispute = (card: ImportedCard, reason: string, outcome: 'UPHELD' | 'REJECTED') => {
    const disputeId = randomUUID();
    add({ command: 'OpenDispute', cardId: card.cardId, disputeId, reason, description: 'The customer disputes this card' });
    add({ command: 'ResolveDispute', cardId: card.cardId, disputeId, outcome, note: `Resolved ${outcome}` }, outcome === 'UPHELD' ? 2 : 1);
  };
  const ends = (card: ImportedCard, status: string) => cards.splice(cards.indexOf(card), 1, { ...card, status });

  const k1 = issue(zhang, 'DEBIT', 'BRANCH', { branchId: 'BJ-001' });
  verify(k1);
  link(k1, 'ACC-1001');
  activate(k1, 'APP');
  suspend(k1, 'LOST_REPORTED');
  reinstate(k1, 'Found');
  dispute(k1, 'UNRECOGNIZED_ACTIVATION', 'REJECTED');
  ends(k1, 'ACTIVE');

  const k2 = issue(zhang, 'CREDIT', 'APP');
  verify(k2, { name: '李四' }); // recorded as a failed verification
  verify(k2);
  link(k2, 'ACC-1002');
  activate(k2, 'WEB');
  dispute(k2, 'FRAUD', 'UPHELD');
  ends(k2, 'CANCELLED');

  const k3 = issue(li, 'DEBIT', 'WEB');
  verify(k3, { method: 'FACE', matchScore: 0.95 });
  link(k3, 'ACC-2001');
  activate(k3, 'IVR');
  cancel(k3, 'Customer request');
  ends(k3, 'CANCELLED');

  const k4 = issue(li, 'LOYALTY', 'PARTNER');
  verify(k4, { method: 'FINGERPRINT', matchScore: 0.9 });
  link(k4, 'LOY-2002');
  activate(k4, 'HOTLINE');
  suspend(k4, 'Fraud check');
  dispute(k4, 'OTHER', 'REJECTED');
  reinstate(k4);
  ends(k4, 'ACTIVE');

  const k5 = issue(wang, 'SIM', 'MAIL');
  verify(k5);
  link(k5, 'MSISDN-8613900139000');
  activate(k5, 'BRANCH');
  ends(k5, 'ACTIVE');

  const k6 = issue(wang, 'DEBIT', 'BRANCH', { branchId: 'SH-002' });
  suspend(k6, 'Damaged in the post');
  cancel(k6, 'Replaced');
  ends(k6, 'CANCELLED');

  const k7 = issue(wang, 'CREDIT', 'BRANCH', { branchId: 'SH-002' });
  verify(k7);
  suspend(k7, 'Address check');
  reinstate(k7);
  link(k7, 'ACC-3001');
  ends(k7, 'LINKED');

  const k8 = issue(zhang, 'DEBIT', 'APP');
  verify(k8);
  link(k8, 'ACC-1003');
  activate(k8, 'APP');
  dispute(k8, 'NOT_RECEIVED', 'UPHELD');
  ends(k8, 'CANCELLED');

  const k9 = issue(li, 'CREDIT', 'WEB');
  cancel(k9, 'Customer request');
  ends(k9, 'CANCELLED');

  const json = lines.map((line) => JSON.stringify(line));
  const sims = cards.filter((card) => card.product === 'SIM');
  const claimEventCount = cards.length + 3 + sims.length + sims.filter((card) => card.status === 'CANCELLED').length;
  return { lines: json, text: `${json.join('\n')}\n`, customerIds: [zhang, li, wang], cards, times, eventCount, claimEventCount };
}
