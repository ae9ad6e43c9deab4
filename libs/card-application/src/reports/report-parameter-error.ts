/**
 * A report parameter the caller gave is unusable. `field` names the parameter (`from`, `to`, `tz`, `groupBy`,
 * `olderThan`…) and `reason` says, for a person, what is wrong with it and what would be accepted; an API maps
 * this to a 400 answer carrying both.
 */
export class ReportParameterError extends Error {
  readonly code = 'INVALID_REPORT_PARAMETER';

  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'ReportParameterError';
  }
}
