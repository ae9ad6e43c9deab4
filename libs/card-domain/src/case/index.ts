export * from './case.types';
export * from './case-lifecycle';
export * from './case.decider';
export * from './classification-rules';
export * from './case-routing';
