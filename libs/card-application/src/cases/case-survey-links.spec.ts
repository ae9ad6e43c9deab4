import { randomBytes, randomUUID } from 'node:crypto';
import { CaseSurveyLinks } from './case-survey-links';

const SECRET = randomBytes(32).toString('hex');
const NOW = new Date('2026-11-23T09:00:00.000Z');
const links = new CaseSurveyLinks(SECRET, 14, 'https://bank.example/survey?token=');

describe('case survey links', () => {
  it('given a token made for a case, then it verifies to that case until it expires', () => {
    const caseId = randomUUID();
    const token = links.token(caseId, NOW);
    expect(links.verify(token, NOW)).toEqual({ ok: true, caseId, expiresAt: '2026-12-07T09:00:00.000Z' });
    expect(links.verify(token, new Date('2026-12-07T08:59:59.000Z'))).toMatchObject({ ok: true, caseId });
    expect(links.verify(token, new Date('2026-12-07T09:00:00.000Z'))).toEqual({ ok: false, reason: 'EXPIRED' });
  });

  it('given the link, then it is the page URL followed by a 50-character token (no personal data in it)', () => {
    const caseId = randomUUID();
    const link = links.link(caseId, NOW);
    expect(link.startsWith('https://bank.example/survey?token=')).toBe(true);
    expect(link.length - 'https://bank.example/survey?token='.length).toBe(50);
    expect(links.verify(link.slice('https://bank.example/survey?token='.length), NOW)).toMatchObject({ ok: true, caseId });
  });

  it('given a token changed in any way, or made under another key, then it is refused as INVALID', () => {
    const caseId = randomUUID();
    const token = links.token(caseId, NOW);
    const [payload, mac] = token.split('.');
    const bytes = Buffer.from(payload, 'base64url');
    const otherCase = Buffer.concat([Buffer.from(randomUUID().replace(/-/g, ''), 'hex'), bytes.subarray(16)]).toString('base64url');
    const later = Buffer.from(bytes);
    later.writeUInt32BE(later.readUInt32BE(16) + 86_400, 16);
    const flipped = mac.slice(0, -2) + (mac.at(-2) === 'A' ? 'B' : 'A') + mac.at(-1);
    for (const forged of [`${otherCase}.${mac}`, `${later.toString('base64url')}.${mac}`, `${payload}.${flipped}`, `${payload}.${mac}x`, '', 'not-a-token', `${payload}`]) {
      expect({ forged, result: links.verify(forged, NOW) }).toEqual({ forged, result: { ok: false, reason: 'INVALID' } });
    }
    const other = new CaseSurveyLinks(randomBytes(32).toString('hex'), 14, '');
    expect(other.verify(token, NOW)).toEqual({ ok: false, reason: 'INVALID' });
  });
});
