export * from './identity-config';
export * from './http-identity-provider';
export * from './not-configured-identity-provider';
