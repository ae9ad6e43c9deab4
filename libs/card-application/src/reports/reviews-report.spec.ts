import type { ReviewDocument } from '../reviews/reviews.projection';
import { reviewsReport } from './reviews-report';
import { reviewDocument } from './testing/report-fixtures';

function review(overrides: Partial<ReviewDocument>): ReviewDocument {
  return reviewDocument({ requestedAt: '2026-03-01T10:00:00.000Z', ...overrides });
}

const RANGE = { from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z', now: '2026-03-10T10:00:00.000Z' };

describe('reviewsReport', () => {
  it('given reviews that ended in every way, counts outcomes, reasons, methods, approval rate and time to decision', async () => {
    const reviews = [
      review({ reviewId: 'a', status: 'APPROVED', decidedAt: '2026-03-01T11:00:00.000Z', contactAttempts: [{ channel: 'PHONE', outcome: 'REACHED', note: null, recordedBy: 'x', recordedAt: 'y' }] }),
      review({ reviewId: 'b', status: 'REJECTED', method: 'FACE', reasons: ['SCORE_IN_REVIEW_BAND'], decidedAt: '2026-03-01T13:00:00.000Z' }),
      review({ reviewId: 'c', status: 'APPROVED', reasons: ['VERIFICATION_LOCKED'], decidedAt: '2026-03-02T10:00:00.000Z' }),
      review({ reviewId: 'd', status: 'CLOSED' }),
      review({ reviewId: 'e', status: 'OPEN', requestedAt: '2026-03-09T10:00:00.000Z' }),
      review({ reviewId: 'outside', status: 'APPROVED', requestedAt: '2026-02-27T10:00:00.000Z', decidedAt: '2026-02-28T10:00:00.000Z' }),
    ];
    const report = await reviewsReport(reviews, reviews, RANGE);
    expect(report).toMatchObject({
      requested: 5,
      byOutcome: { OPEN: 1, APPROVED: 2, REJECTED: 1, CLOSED: 1 },
      byReason: { BIRTH_DATE_MISMATCH: 3, SCORE_IN_REVIEW_BAND: 1, VERIFICATION_LOCKED: 1 },
      byMethod: { ID_DOCUMENT: 4, FACE: 1, FINGERPRINT: 0, BRANCH_STAFF: 0 },
      approvalRate: 0.6667,
      contactAttempts: { total: 1, byOutcome: { REACHED: 1, NO_ANSWER: 0 } },
    });
    expect(report.timeToDecision).toMatchObject({ count: 3, p50: 3 * 3600, maxSeconds: 24 * 3600 });
  });

  it('given open reviews requested at any time, shows the queue as it stands now: count, oldest, age', async () => {
    const open = [review({ reviewId: 'old', requestedAt: '2026-01-10T10:00:00.000Z' }), review({ reviewId: 'new', requestedAt: '2026-03-10T09:00:00.000Z' })];
    const report = await reviewsReport([], open, RANGE);
    expect(report.requested).toBe(0);
    expect(report.approvalRate).toBeNull();
    expect(report.openNow).toMatchObject({ count: 2, oldestRequestedAt: '2026-01-10T10:00:00.000Z', age: { count: 2, p50: 3600, maxSeconds: 59 * 86400 } });
  });
});
