// Report computations over the read models: pure functions, no I/O; the caller streams the documents in.
export * from './report-parameter-error';
export * from './report-source';
export { parseReportRange, DEFAULT_REPORT_RANGE_DAYS, MAX_REPORT_RANGE_DAYS, type ReportRange } from './report-range';
export { parseIsoDuration, formatIsoDuration } from './iso-duration';
export { formatDuration } from './format-duration';
export { nearestRankPercentile, type DurationStats } from './statistics';
export { FUNNEL_STAGES, type FunnelStage } from './card-stages';
export * from './activations-report';
export {
  funnelReport,
  type FunnelReportParams,
  type FunnelReport,
  type FunnelStageRow,
  type FunnelDropOff,
} from './funnel-report';
export {
  stageDurationsReport,
  DURATION_STEPS,
  type StageDurationsReportParams,
  type StageDurationsReport,
  type StageDurationRow,
  type DurationStep,
} from './stage-durations-report';
export * from './bottlenecks-report';
export * from './verification-failures-report';
export * from './disputes-report';
export * from './reviews-report';
export * from './notifications-report';
