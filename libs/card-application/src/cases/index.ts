export * from './case-settings';
export * from './cases.projection';
export * from './case-router';
export * from './case-commands';
export * from './case-queries';
export * from './case-service-levels';
export * from './cases-report';
export * from './case-survey-links';
