export * from './msisdn';
export * from './number-shapes';
export * from './tier-rules';
export * from './number-search';
export * from './number-completions';
export * from './number.types';
export * from './number.decider';
