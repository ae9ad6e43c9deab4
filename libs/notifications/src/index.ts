export * from './catalog';
export * from './sms-segments';
export * from './quiet-hours';
export * from './variables';
export * from './templates';
export * from './notifications.module';
export * from './channels';
export * from './reactor';
