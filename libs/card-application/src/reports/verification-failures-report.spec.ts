import { VERIFICATION_FAILURE_REASONS } from '@cards/domain';
import type { ReviewStatus } from '../reviews/reviews.projection';
import { verificationFailuresReport } from './verification-failures-report';

import { parameterErrorFrom, reviewDocument, streamed, verificationFailure } from './testing/report-fixtures';

describe('verificationFailuresReport', () => {
  it('counts a failure with two reasons once under each, and once in total', async () => {
    // given
    const failures = [
      verificationFailure({ method: 'ID_DOCUMENT', reasons: ['NAME_MISMATCH', 'ID_NUMBER_MISMATCH'], failedAt: '2026-11-01T00:00:00Z' }),
      verificationFailure({ method: 'FACE', reasons: ['LOW_MATCH_SCORE'], failedAt: '2026-11-02T00:00:00Z' }),
      verificationFailure({ method: 'FACE', reasons: ['NAME_MISMATCH', 'NAME_MISMATCH'], failedAt: '2026-11-03T00:00:00Z' }),
      verificationFailure({ method: 'ID_DOCUMENT', reasons: [], failedAt: '2026-11-30T23:59:59.999Z' }),
      verificationFailure({ method: 'FINGERPRINT', reasons: ['LOW_MATCH_SCORE'], failedAt: '2026-12-01T00:00:00Z' }), // at `to`
      verificationFailure({ method: 'FINGERPRINT', reasons: ['LOW_MATCH_SCORE'], failedAt: '2026-10-31T23:59:59Z' }), // before
    ];

    // when
    const report = await verificationFailuresReport(streamed(failures), { from: '2026-11-01', to: '2026-12-01' });

    // then
    const zero = (keys: readonly string[]) => Object.fromEntries(keys.map((key) => [key, 0]));
    const noReasons = zero(VERIFICATION_FAILURE_REASONS);
    expect(report).toEqual({
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-12-01T00:00:00.000Z',
      total: 4,
      failuresWithReason: 3,
      byReason: { ...noReasons, NAME_MISMATCH: 2, ID_NUMBER_MISMATCH: 1, LOW_MATCH_SCORE: 1 },
      byMethod: { ID_DOCUMENT: 2, FACE: 2, FINGERPRINT: 0, BRANCH_STAFF: 0 },
      byMethodAndReason: {
        ID_DOCUMENT: { ...noReasons, NAME_MISMATCH: 1, ID_NUMBER_MISMATCH: 1 },
        FACE: { ...noReasons, LOW_MATCH_SCORE: 1, NAME_MISMATCH: 1 },
        FINGERPRINT: noReasons,
        BRANCH_STAFF: noReasons,
      },
      reviewOutcomes: { OPEN: 0, APPROVED: 0, REJECTED: 0, CLOSED: 0 },
    });
  });

  it('gives the outcome of the reviews requested in the range', async () => {
    const review = (status: ReviewStatus, requestedAt: string) => reviewDocument({ reasons: ['VERIFICATION_LOCKED'], status, requestedAt });
    const reviews = [review('APPROVED', '2026-11-02T00:00:00Z'), review('REJECTED', '2026-11-03T00:00:00Z'), review('OPEN', '2026-11-04T00:00:00Z'), review('APPROVED', '2026-10-04T00:00:00Z')];
    const report = await verificationFailuresReport([], { from: '2026-11-01', to: '2026-12-01' }, reviews);
    expect(report.reviewOutcomes).toEqual({ OPEN: 1, APPROVED: 1, REJECTED: 1, CLOSED: 0 });
  });

  it('refuses an unreadable range', async () => {
    expect((await parameterErrorFrom(() => verificationFailuresReport([], { from: 'last week', to: '2026-12-01' }))).field).toBe('from');
  });
});
