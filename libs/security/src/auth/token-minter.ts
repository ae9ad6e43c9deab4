import { randomUUID } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import { hs256SecretProblem, privateKeyAlgorithm, toPkcs8Pem, type TokenAlgorithm } from './token-keys';

export interface TokenClaims {
  /** The caller: becomes `sub`, and the actor id in the metadata of every event the caller causes. */
  readonly subject: string;
  readonly roles: readonly string[];
  readonly ttlSeconds: number;
  /** When the token is issued (default: now). */
  readonly now?: Date;
}

type SigningKey = Uint8Array | Awaited<ReturnType<typeof importPKCS8>>;

/**
 * Signs tokens the service accepts: HS256 with the shared secret (card-cli token, the development tokens printed at
 * start-up), or RS256 / EdDSA with a private key (tests standing in for an identity provider).
 */
export class TokenMinter {
  private constructor(readonly algorithm: TokenAlgorithm, private readonly key: SigningKey) {}

  static forSecret(secret: string): TokenMinter {
    const problem = hs256SecretProblem(secret);
    if (problem) throw new Error(`The HS256 secret ${problem}`);
    return new TokenMinter('HS256', new TextEncoder().encode(secret));
  }

  /** RS256 for an RSA key, EdDSA for an Ed25519 key (PEM). */
  static async forPrivateKey(pem: string): Promise<TokenMinter> {
    const algorithm = privateKeyAlgorithm(pem);
    return new TokenMinter(algorithm, await importPKCS8(toPkcs8Pem(pem), algorithm));
  }

  async mint(claims: TokenClaims): Promise<string> {
    if (!Number.isInteger(claims.ttlSeconds) || claims.ttlSeconds <= 0) throw new Error('ttlSeconds must be a positive whole number');
    const issuedAt = Math.floor((claims.now ?? new Date()).getTime() / 1000);
    return new SignJWT({ roles: [...claims.roles] })
      .setProtectedHeader({ alg: this.algorithm, typ: 'JWT' })
      .setSubject(claims.subject)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + claims.ttlSeconds)
      .setJti(randomUUID())
      .sign(this.key);
  }
}
