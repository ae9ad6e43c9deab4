/** What every personal-data field of an erased subject reads as, in read models and API responses. */
export const ERASED = '[erased]' as const;
export type Erased = typeof ERASED;
