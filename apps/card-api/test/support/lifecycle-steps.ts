import { expect } from '@jest/globals';
import { CUSTOMER, cvv2For, futureExpiry, luhnCardNumber, nextSeed, type TestApp } from './test-app';

export interface IssuedCard {
  readonly cardId: string;
  readonly customerId: string;
  readonly cardNumber: string;
  readonly expiry: string;
  readonly cvv: string;
}

export async function registerCustomer(t: TestApp, overrides: Record<string, unknown> = {}): Promise<string> {
  const res = await t.http().post('/v1/customers').send({ ...CUSTOMER, ...overrides });
  expect(res.status).toBe(201);
  return res.body.customerId as string;
}

export async function issueDebitCard(t: TestApp, customerId?: string): Promise<IssuedCard> {
  const owner = customerId ?? (await registerCustomer(t));
  const cardNumber = luhnCardNumber('411111', 16, nextSeed());
  const expiry = futureExpiry();
  const res = await t.http().post('/v1/cards').send({ customerId: owner, product: 'DEBIT', cardNumber, expiry, channel: 'BRANCH', branchId: 'BJ-001' });
  expect(res.status).toBe(201);
  return { cardId: res.body.cardId, customerId: owner, cardNumber, expiry, cvv: cvv2For(t.config, cardNumber, expiry) };
}

/** Issue → verify → link: a card ready to activate. */
export async function linkedDebitCard(t: TestApp): Promise<IssuedCard> {
  const card = await issueDebitCard(t);
  const verified = await t
    .http()
    .post(`/v1/cards/${card.cardId}/identity-verifications`)
    .send({ method: 'ID_DOCUMENT', name: CUSTOMER.name, idNumber: CUSTOMER.idNumber });
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
