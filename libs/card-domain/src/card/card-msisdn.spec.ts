import { ValidationFailed } from '../shared/domain-error';
import { issueCard, NOW } from '../testing/card-fixtures';
import { DeciderSpecification } from '../testing/decider-spec';
import { cardDecider } from './card.decider';

const spec = DeciderSpecification.for(cardDecider);

describe('cardDecider: a SIM card with its phone number (docs/numbers.md)', () => {
  it('records the msisdn in CardIssued and in the state', () => {
    const command = issueCard({ product: 'SIM', expiry: undefined, msisdn: '13800138000' });
    const [event] = spec.given([]).when(command).then([
      {
        type: 'CardIssued',
        data: {
          cardId: command.cardId,
          customerId: command.customerId,
          product: 'SIM',
          panBin: '411111',
          panLast4: '1111',
          panFingerprint: 'fp-4111',
          panLength: 16,
          channel: 'BRANCH',
          msisdn: '13800138000',
          issuedAt: NOW,
        },
      },
    ]);
    expect(event.type).toBe('CardIssued');
    expect(spec.given([]).when(command).thenState()).toMatchObject({ exists: true, msisdn: '13800138000' });
  });

  it.each([
    [{ product: 'DEBIT' as const }, 'only a SIM card takes a phone number'],
    [{ product: 'SIM' as const, expiry: undefined, msisdn: '12800138000' }, 'must be an 11-digit mainland mobile number'],
  ])('refuses %p naming msisdn', (overrides, reason) => {
    const error = spec.given([]).when(issueCard({ msisdn: '13800138000', ...overrides })).thenThrows('VALIDATION_FAILED') as ValidationFailed;
    expect(error.violations).toEqual([{ field: 'msisdn', reason: expect.stringContaining(reason) }]);
  });
});
