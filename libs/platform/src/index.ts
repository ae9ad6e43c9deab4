// What every app of the service shares: configuration from the environment, the adapters behind the ports,
// and the host of the projection runner.
export * from './app-config';
export * from './data-dir';
export * from './infrastructure.module';
export * from './projections-host';
export * from './health.controller';
export * from './projections.controller';
export * from './http/problem';
export * from './http/problem-details.filter';
export * from './http/replayed-response';
export * from './http/request-ids';
export * from './logging';
export * from './identity';
export * from './http/fastify-adapter';
export * from './graceful-shutdown';
export * from './http/http-security';
export * from './auth/permissions';
export * from './auth/access';
export * from './auth/auth-errors';
export * from './auth/request-caller';
export * from './auth/security-settings';
