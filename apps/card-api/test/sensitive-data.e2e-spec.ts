import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { filesUnder, removeDataDir, startTestApp, type TestApp } from './support/test-app';
import { linkedDebitCard, wrongCvv, type IssuedCard } from './support/lifecycle-steps';


/** Every way a number might have been written down: as digits, and in UTF-16 (SQLite can store either). */
function encodings(digits: string): Buffer[] {
  return [Buffer.from(digits, 'utf8'), Buffer.from(digits, 'utf16le')];
}

function typoOf(cardNumber: string): string {
  return cardNumber.slice(0, -1) + String((Number(cardNumber.slice(-1)) + 1) % 10);
}

describe('no card number and no CVV2 is ever written to DATA_DIR or the logs', () => {
  let t: TestApp;
  const cards: IssuedCard[] = [];

  beforeAll(async () => {
    t = await startTestApp(undefined, { LOG_LEVEL: 'trace' });
    for (let i = 0; i < 3; i++) {
      const card = await linkedDebitCard(t);
      // A mistyped number (its Luhn digit is off by one): refused, and echoed nowhere.
      const typo = typoOf(card.cardNumber);
      const refused = await t.http().post(`/v1/cards/${card.cardId}/activate`).send({ channel: 'APP', cardNumber: typo, cvv: card.cvv }).expect(400);
      expect(JSON.stringify(refused.body)).not.toContain(typo.slice(0, 12));
      await t.http().post(`/v1/cards/${card.cardId}/activate`).send({ channel: 'APP', cardNumber: card.cardNumber, cvv: wrongCvv(card.cvv) }).expect(422);
      await t.http().post(`/v1/cards/${card.cardId}/activate`).send({ channel: 'APP', cardNumber: card.cardNumber, cvv: card.cvv }).expect(200);
      cards.push(card);
    }
    await t.close();
  });
  afterAll(() => removeDataDir(t.dataDir));

  it('wrote a database, a log and keys to scan', () => {
    const names = filesUnder(t.dataDir).map((f) => path.basename(f));
    expect(names).toEqual(expect.arrayContaining(['events.db', 'card-api.log', 'secrets.json']));
    expect(fs.statSync(t.logFile).size).toBeGreaterThan(0);
  });

  it('no file holds a card number, in any common encoding', () => {
    const files = filesUnder(t.dataDir);
    for (const file of files) {
      const bytes = fs.readFileSync(file);
      for (const card of cards) {
        for (const needle of [...encodings(card.cardNumber), ...encodings(typoOf(card.cardNumber))]) {
          expect({ file, found: bytes.includes(needle) }).toEqual({ file, found: false });
        }
      }
    }
  });

  it('no stored event carries a card number or a CVV2, under any field name', () => {
    const db = new Database(path.join(t.dataDir, 'events.db'), { readonly: true });
    try {
      const rows = db.prepare('SELECT type, data, metadata FROM events').all() as { type: string; data: string; metadata: string }[];
      expect(rows.length).toBeGreaterThan(cards.length * 4);
      for (const row of rows) {
        const text = `${row.data}${row.metadata}`;
        expect(text.toLowerCase()).not.toMatch(/"(cvv2?|cardnumber|pan)"\s*:/);
        for (const card of cards) {
          expect(text).not.toContain(card.cardNumber);
          expect(text).not.toContain(`"${card.cvv}"`);
          expect(text).not.toContain(`"${wrongCvv(card.cvv)}"`);
        }
      }
    } finally {
      db.close();
    }
  });

  it('the log holds no card number and no CVV2', () => {
    const log = fs.readFileSync(t.logFile, 'utf8');
    expect(log).toContain('"correlationId"');
    for (const card of cards) {
      expect(log).not.toContain(card.cardNumber);
      expect(log).not.toContain(typoOf(card.cardNumber));
      expect(log).not.toMatch(new RegExp(`cvv[^\\n]{0,20}${card.cvv}`, 'i'));
    }
    expect(log.toLowerCase()).not.toContain('"cvv"');
  });
});
