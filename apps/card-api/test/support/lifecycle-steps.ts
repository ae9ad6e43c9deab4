import { expect } from '@jest/globals';
import { CUSTOMER, cvv2For, freshResidentId, futureExpiry, luhnCardNumber, nextSeed, type TestApp } from './test-app';

export interface IssuedCard {
  readonly cardId: string;
  readonly customerId: string;
  /** The id number its customer registered with (what identity verification must present). */
  readonly idNumber: string;
  readonly cardNumber: string;
  readonly expiry: string;
  readonly cvv: string;
}

/** The id number each customer registered through registerCustomer was given. */
const registeredIdNumbers = new Map<string, string>();

/**
 * Registers CUSTOMER with an id number of its own (one customer per id document), unless `overrides` names one.
 * `idNumberOf` gives it back.
 */
export async function registerCustomer(t: TestApp, overrides: Record<string, unknown> = {}): Promise<string> {
  const body = { ...CUSTOMER, idNumber: freshResidentId(), ...overrides };
  const res = await t.http().post('/v1/customers').send(body);
  expect(res.status).toBe(201);
  registeredIdNumbers.set(res.body.customerId as string, body.idNumber as string);
  return res.body.customerId as string;
}

/** The id number a customer was registered with by registerCustomer (CUSTOMER's for one registered otherwise). */
export function idNumberOf(customerId: string): string {
  return registeredIdNumbers.get(customerId) ?? CUSTOMER.idNumber;
}

export async function issueDebitCard(t: TestApp, customerId?: string): Promise<IssuedCard> {
  const owner = customerId ?? (await registerCustomer(t));
  const cardNumber = luhnCardNumber('411111', 16, nextSeed());
  const expiry = futureExpiry();
  const res = await t.http().post('/v1/cards').send({ customerId: owner, product: 'DEBIT', cardNumber, expiry, channel: 'BRANCH', branchId: 'BJ-001' });
  expect(res.status).toBe(201);
  return { cardId: res.body.cardId, customerId: owner, idNumber: idNumberOf(owner), cardNumber, expiry, cvv: cvv2For(t.config, cardNumber, expiry) };
}

/** Issue → verify → link: a card ready to activate. */
export async function linkedDebitCard(t: TestApp): Promise<IssuedCard> {
  const card = await issueDebitCard(t);
  const verified = await t
    .http()
    .post(`/v1/cards/${card.cardId}/identity-verifications`)
    .send({ method: 'ID_DOCUMENT', name: CUSTOMER.name, idNumber: card.idNumber });
  expect(verified.body.result).toBe('VERIFIED');
  const linked = await t.http().post(`/v1/cards/${card.cardId}/link`).send({ accountId: 'ACC-1001' });
  expect(linked.status).toBe(200);
  return card;
}

export async function activeDebitCard(t: TestApp): Promise<IssuedCard> {
  const card = await linkedDebitCard(t);
  const res = await t
    .http()
    .post(`/v1/cards/${card.cardId}/activate`)
    .send({ channel: 'APP', cardNumber: card.cardNumber, cvv: card.cvv });
  expect(res.status).toBe(200);
  return card;
}

/** A CVV2 that is certainly not this card's. */
export function wrongCvv(cvv: string): string {
  return String((Number(cvv) + 1) % 1000).padStart(3, '0');
}
