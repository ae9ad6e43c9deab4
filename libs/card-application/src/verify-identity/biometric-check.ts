import { Inject, Injectable, Logger } from '@nestjs/common';
import type { BiometricResult } from '@cards/domain';
import type { CommandContext } from '../shared/command-context';
import { IDENTITY_PROVIDER, type IdentityProvider } from './identity-provider.port';

export interface BiometricInput {
  readonly method: string;
  readonly sample?: string;
  /** Imported history only: the score the former system recorded. */
  readonly matchScore?: number;
}

/** Who the registry says the customer is: what the provider compares the live sample with. */
export interface RegisteredIdentity {
  readonly name: string;
  readonly idType: string;
  readonly idNumber: string;
}

/**
 * Asks the identity provider how alike a live sample is to the registered person (FACE, FINGERPRINT), for the
 * card's and the customer's own verifications alike. A provider that cannot answer gives UNAVAILABLE, which the
 * domain records without holding it against the customer. Nothing personal is logged.
 */
@Injectable()
export class BiometricCheck {
  private readonly logger = new Logger('IdentityProvider');

  constructor(@Inject(IDENTITY_PROVIDER) private readonly provider: IdentityProvider) {}

  async result(input: BiometricInput, registered: RegisteredIdentity, requestId: string, ctx: CommandContext): Promise<BiometricResult | undefined> {
    if (input.method !== 'FACE' && input.method !== 'FINGERPRINT') return undefined;
    if (input.matchScore !== undefined && ctx.imported) {
      return { outcome: 'SCORED', score: input.matchScore, providerReference: 'imported' };
    }
    if (input.sample === undefined || registered.idNumber === '') return undefined;
    const comparison = await this.provider.compare({
      requestId,
      method: input.method,
      name: registered.name,
      idType: registered.idType,
      idNumber: registered.idNumber,
      sample: input.sample,
    });
    if (comparison.outcome === 'SCORED') return comparison;
    this.logger.warn({
      msg: 'Identity provider unavailable',
      method: input.method,
      reason: comparison.reason,
      attempts: comparison.attempts,
      detail: comparison.detail,
      correlationId: ctx.correlationId,
    });
    return { outcome: 'UNAVAILABLE', reason: comparison.reason };
  }
}
