import type { IdentityComparison, IdentityProvider } from '@cards/application';
import { HttpIdentityProvider, providerUnavailable, type IdentityProviderLog } from './http-identity-provider';
import type { IdentityProviderConfig } from './identity-config';

/** Without IDENTITY_PROVIDER_URL: every comparison is UNAVAILABLE / NOT_CONFIGURED, at once and without I/O. */
export class NotConfiguredIdentityProvider implements IdentityProvider {
  compare(): Promise<IdentityComparison> {
    return Promise.resolve(
      providerUnavailable('NOT_CONFIGURED', 'No identity provider is configured: FACE and FINGERPRINT verification needs IDENTITY_PROVIDER_URL', 0),
    );
  }
}

/** The adapter behind IDENTITY_PROVIDER: the HTTP client when IDENTITY_PROVIDER_URL is set. */
export function identityProviderFor(config: IdentityProviderConfig, log?: IdentityProviderLog): IdentityProvider {
  if (config.url === undefined) return new NotConfiguredIdentityProvider();
  return new HttpIdentityProvider({
    url: config.url,
    ...(config.token !== undefined && { token: config.token }),
    timeoutMs: config.timeoutMs,
    retries: config.retries,
    deadlineMs: config.deadlineMs,
    ...(log !== undefined && { log }),
  });
}

/** Says where biometric comparisons go, for start-up messages. Never shows the token. */
export function describeIdentityProvider(config: IdentityProviderConfig): string {
  if (config.url === undefined) return 'not configured: FACE and FINGERPRINT verification is unavailable until IDENTITY_PROVIDER_URL is set';
  const retries = `${config.retries} ${config.retries === 1 ? 'retry' : 'retries'}`;
  return `${config.url} (timeout ${config.timeoutMs} ms, ${retries}, deadline ${config.deadlineMs} ms${config.token !== undefined ? ', bearer token' : ''})`;
}
