export * from './delivery-policy';
export * from './notice-planner';
export * from './reactor-config';
export * from './notification-reactor';
export * from './notification-reactor.module';
export * from './webhook-relay';
