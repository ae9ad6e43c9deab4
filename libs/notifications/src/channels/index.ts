export * from './channel';
export * from './channels-config';
export * from './http-sms-channel';
export * from './smtp-email-channel';
export * from './webhook-signature';
export * from './webhook-publisher';
export * from './not-configured';
