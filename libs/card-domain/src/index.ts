// The public surface of the card domain. Test helpers live in ./testing and are imported from there on purpose.
export * from './shared/domain-error';
export * from './shared/unicode-text';
export * from './shared/decider';
export * from './customer/customer.types';
export * from './customer/customer.decider';
export * from './card/card.types';
export * from './card/card.decider';
export * from './card/lifecycle';
export * from './card/lifecycle-doc';
export * from './notification/notification.types';
export * from './number';
export * from './case';
export * from './values';
