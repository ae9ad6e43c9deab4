import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AUDIT_KEYS, publishedPublicKey, type AuditKeys, type PublishedPublicKey } from '@cards/application';

export interface AuditPublicKeys extends PublishedPublicKey {
  /** Keys that signed checkpoints before the current one (AUDIT_PUBLIC_KEYS): their checkpoints still verify. */
  readonly formerKeys: readonly PublishedPublicKey[];
}

const EXAMPLE: AuditPublicKeys = {
  algorithm: 'Ed25519',
  keyId: '3f9c2a7e5b1d4c8a',
  publicKeyPem: '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA…\n-----END PUBLIC KEY-----\n',
  publicKeyBase64: 'q0b0cC5kP1…=',
  formerKeys: [],
};

@ApiTags('audit')
@Controller('v1/audit/public-key')
export class AuditPublicKeyController {
  constructor(@Inject(AUDIT_KEYS) private readonly keys: AuditKeys) {}

  @Get()
  @ApiOperation({
    summary: 'The public key audit checkpoints are signed with (no token needed)',
    description:
      'Ed25519: `keyId` is the first 16 hex characters of SHA-256 over the raw 32-byte key (`publicKeyBase64`), the `keyId` ' +
      'each checkpoint names. Keep a copy outside the service: a checkpoint verifies only against a key you trust. ' +
      '`formerKeys` are the keys of AUDIT_PUBLIC_KEYS, which signed older checkpoints.',
  })
  @ApiOkResponse({ description: 'The current key, and former ones', schema: { example: EXAMPLE } })
  publicKey(): AuditPublicKeys {
    return { ...publishedPublicKey(this.keys.publicKey), formerKeys: this.keys.formerPublicKeys.map(publishedPublicKey) };
  }
}
