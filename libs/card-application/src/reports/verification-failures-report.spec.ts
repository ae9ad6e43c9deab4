import { verificationFailuresReport } from './verification-failures-report';
import { parameterErrorFrom, streamed, verificationFailure } from './testing/report-fixtures';

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
    expect(report).toEqual({
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-12-01T00:00:00.000Z',
      total: 4,
      failuresWithReason: 3,
      byReason: { NAME_MISMATCH: 2, ID_NUMBER_MISMATCH: 1, LOW_MATCH_SCORE: 1 },
      byMethod: { ID_DOCUMENT: 2, FACE: 2, FINGERPRINT: 0 },
    });
  });

  it('refuses an unreadable range', async () => {
    expect((await parameterErrorFrom(() => verificationFailuresReport([], { from: 'last week', to: '2026-12-01' }))).field).toBe('from');
  });
});
