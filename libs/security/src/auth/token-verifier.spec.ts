import { createHmac, generateKeyPairSync } from 'node:crypto';
import { TokenMinter } from './token-minter';
import { publicKeyAlgorithm } from './token-keys';
import { TokenRejectedError, TokenVerifier, VERIFIED_TOKENS_CACHED, type TokenRejection } from './token-verifier';

const SECRET = 'a-test-secret-that-is-32-bytes!!';
const NOW = new Date('2026-11-23T09:00:00Z');
const nowSeconds = NOW.getTime() / 1000;

function pemPair(type: 'rsa' | 'ed25519' | 'ec', bits = 2048): { publicKey: string; privateKey: string } {
  const pair =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: bits })
      : type === 'ec'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519');
  return {
    publicKey: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKey: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
const RSA = pemPair('rsa');
const ED25519 = pemPair('ed25519');

const b64url = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A token built by hand, signed with HMAC-SHA256 under `key` (or unsigned), as an attacker would forge one. */
function handBuilt(header: Record<string, unknown>, payload: Record<string, unknown>, hmacKey?: string): string {
  const signingInput = `${b64url(header)}.${b64url(payload)}`;
  const signature = hmacKey === undefined ? '' : createHmac('sha256', hmacKey).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

const claims = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  sub: 'alice',
  roles: ['analyst'],
  iat: nowSeconds - 60,
  exp: nowSeconds + 3600,
  ...overrides,
});

async function rejectionOf(verifier: TokenVerifier, token: string): Promise<TokenRejectedError> {
  try {
    await verifier.verify(token, NOW);
  } catch (error) {
    expect(error).toBeInstanceOf(TokenRejectedError);
    expect((error as Error).message).not.toContain(token);
    expect((error as Error).message).not.toContain(token.split('.')[1] ?? token);
    return error as TokenRejectedError;
  }
  throw new Error('expected the token to be refused');
}

async function expectRejected(verifier: TokenVerifier, token: string, reason: TokenRejection, message?: RegExp): Promise<void> {
  const error = await rejectionOf(verifier, token);
  expect(error.reason).toBe(reason);
  if (message) expect(error.message).toMatch(message);
}

describe('TokenVerifier', () => {
  let hs256: TokenVerifier;
  let rs256: TokenVerifier;
  let eddsa: TokenVerifier;
  beforeAll(async () => {
    hs256 = await TokenVerifier.create({ algorithm: 'HS256', secret: SECRET });
    rs256 = await TokenVerifier.create({ algorithm: 'RS256', publicKeyPem: RSA.publicKey });
    eddsa = await TokenVerifier.create({ algorithm: 'EdDSA', publicKeyPem: ED25519.publicKey });
  });

  describe('given a token signed with the configured key and algorithm', () => {
    it.each([
      ['HS256', () => hs256, async () => TokenMinter.forSecret(SECRET)],
      ['RS256', () => rs256, () => TokenMinter.forPrivateKey(RSA.privateKey)],
      ['EdDSA', () => eddsa, () => TokenMinter.forPrivateKey(ED25519.privateKey)],
    ])('%s: accepts it, naming the subject and the roles', async (algorithm, verifier, minter) => {
      const signer = await minter();
      expect(signer.algorithm).toBe(algorithm);
      const token = await signer.mint({ subject: 'alice', roles: ['analyst', 'auditor'], ttlSeconds: 600, now: NOW });
      await expect(verifier().verify(token, NOW)).resolves.toEqual({
        subject: 'alice',
        roles: ['analyst', 'auditor'],
        expiresAt: new Date(NOW.getTime() + 600_000),
      });
    });

    it('keeps the known roles in table order, each once, and ignores unknown role names', async () => {
      const token = handBuilt({ alg: 'HS256', typ: 'JWT' }, claims({ roles: ['admin', 'superuser', 'issuer', 'admin'] }), SECRET);
      expect((await hs256.verify(token, NOW)).roles).toEqual(['issuer', 'admin']);
    });

    it('accepts a roles claim with no known role: the caller is known but may do nothing (403, not 401)', async () => {
      const token = handBuilt({ alg: 'HS256' }, claims({ roles: ['superuser'] }), SECRET);
      expect(await hs256.verify(token, NOW)).toMatchObject({ subject: 'alice', roles: [] });
    });
  });

  describe('clock skew of 30 seconds', () => {
    it('accepts a token that expired 20 seconds ago', async () => {
      const token = handBuilt({ alg: 'HS256' }, claims({ exp: nowSeconds - 20 }), SECRET);
      await expect(hs256.verify(token, NOW)).resolves.toMatchObject({ subject: 'alice' });
    });

    it('refuses one that expired 31 seconds ago', async () => {
      await expectRejected(hs256, handBuilt({ alg: 'HS256' }, claims({ exp: nowSeconds - 31 }), SECRET), 'expired', /^The token has expired$/);
    });

    it('accepts a token valid from 20 seconds from now, and refuses one valid from a minute from now', async () => {
      await expect(hs256.verify(handBuilt({ alg: 'HS256' }, claims({ nbf: nowSeconds + 20 }), SECRET), NOW)).resolves.toBeDefined();
      await expectRejected(hs256, handBuilt({ alg: 'HS256' }, claims({ nbf: nowSeconds + 60 }), SECRET), 'not_yet_valid');
    });
  });

  describe('a token that verified is remembered, its time checks made again at each use', () => {
    const at = (secondsFromNow: number) => new Date(NOW.getTime() + secondsFromNow * 1000);

    it('accepts it until its exp (with the tolerance), then refuses it as expired, as a first use would be', async () => {
      const verifier = await TokenVerifier.create({ algorithm: 'HS256', secret: SECRET });
      const token = handBuilt({ alg: 'HS256' }, claims({ exp: nowSeconds + 60 }), SECRET);
      const first = await verifier.verify(token, NOW);
      await expect(verifier.verify(token, at(89))).resolves.toBe(first);
      const late = await verifier.verify(token, at(90)).catch((error: unknown) => error);
      expect(late).toBeInstanceOf(TokenRejectedError);
      expect(late).toMatchObject({ reason: 'expired', message: 'The token has expired' });
      // Refused once, refused again; never accepted later from what was remembered.
      await expect(verifier.verify(token, at(3600))).rejects.toMatchObject({ reason: 'expired' });
      await expect(verifier.verify(token, at(89))).resolves.toEqual(first); // the clock went back: verified in full again
    });

    it('refuses it before its nbf when asked at an earlier time (a clock set back), as a first use would', async () => {
      const verifier = await TokenVerifier.create({ algorithm: 'HS256', secret: SECRET });
      const token = handBuilt({ alg: 'HS256' }, claims({ nbf: nowSeconds + 10 }), SECRET);
      await expect(verifier.verify(token, NOW)).resolves.toMatchObject({ subject: 'alice' });
      await expect(verifier.verify(token, at(-21))).rejects.toMatchObject({ reason: 'not_yet_valid' });
      await expect(verifier.verify(token, at(-20))).resolves.toMatchObject({ subject: 'alice' });
    });

    it('answers the same principal, frozen, for the same token; another token is verified on its own', async () => {
      const verifier = await TokenVerifier.create({ algorithm: 'HS256', secret: SECRET });
      const token = handBuilt({ alg: 'HS256' }, claims(), SECRET);
      const principal = await verifier.verify(token, NOW);
      expect(Object.isFrozen(principal) && Object.isFrozen(principal.roles)).toBe(true);
      await expect(verifier.verify(token, NOW)).resolves.toBe(principal);
      const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
      await expectRejected(verifier, tampered, 'bad_signature');
      const other = handBuilt({ alg: 'HS256' }, claims({ sub: 'bob' }), SECRET);
      await expect(verifier.verify(other, NOW)).resolves.toMatchObject({ subject: 'bob' });
    });

    it('remembers no refused token, and at most VERIFIED_TOKENS_CACHED tokens', async () => {
      const verifier = await TokenVerifier.create({ algorithm: 'HS256', secret: SECRET });
      await expectRejected(verifier, handBuilt({ alg: 'HS256' }, claims({ exp: nowSeconds - 60 }), SECRET), 'expired');
      await expectRejected(verifier, handBuilt({ alg: 'HS256' }, claims({ sub: '' }), SECRET), 'invalid_claim');
      expect(verifier.rememberedTokens).toBe(0);
      const tokens = Array.from({ length: VERIFIED_TOKENS_CACHED + 5 }, (_, i) => handBuilt({ alg: 'HS256' }, claims({ sub: `caller-${i}` }), SECRET));
      for (const token of tokens) await verifier.verify(token, NOW);
      expect(verifier.rememberedTokens).toBe(VERIFIED_TOKENS_CACHED);
      // The first ones were let go; they still verify, in full.
      await expect(verifier.verify(tokens[0], NOW)).resolves.toMatchObject({ subject: 'caller-0' });
      expect(verifier.rememberedTokens).toBe(VERIFIED_TOKENS_CACHED);
    });
  });

  describe('forged and broken tokens are refused, saying why', () => {
    it('a tampered payload (roles raised to admin, the signature kept)', async () => {
      const token = await TokenMinter.forSecret(SECRET).mint({ subject: 'alice', roles: ['analyst'], ttlSeconds: 600, now: NOW });
      const [header, , signature] = token.split('.');
      const tampered = `${header}.${b64url(claims({ roles: ['admin'] }))}.${signature}`;
      await expectRejected(hs256, tampered, 'bad_signature', /signature does not verify/);
    });

    it('alg "none": an unsigned token', async () => {
      await expectRejected(hs256, handBuilt({ alg: 'none', typ: 'JWT' }, claims()), 'wrong_algorithm', /only algorithm this service accepts/);
      await expectRejected(rs256, handBuilt({ alg: 'none' }, claims()), 'wrong_algorithm');
      await expectRejected(hs256, handBuilt({ alg: 'None' }, claims(), 'x'), 'wrong_algorithm');
    });

    it('HS256 signed with the RSA public key as the secret, when RS256 is configured (algorithm confusion)', async () => {
      const forged = handBuilt({ alg: 'HS256', typ: 'JWT' }, claims({ roles: ['admin'] }), RSA.publicKey);
      await expectRejected(rs256, forged, 'wrong_algorithm', /not signed with RS256/);
      await expectRejected(eddsa, handBuilt({ alg: 'HS256' }, claims(), ED25519.publicKey), 'wrong_algorithm');
    });

    it('a token of another algorithm than the one configured, even if validly signed', async () => {
      const rsToken = await (await TokenMinter.forPrivateKey(RSA.privateKey)).mint({ subject: 'alice', roles: ['admin'], ttlSeconds: 600, now: NOW });
      await expectRejected(hs256, rsToken, 'wrong_algorithm', /not signed with HS256/);
      await expectRejected(eddsa, rsToken, 'wrong_algorithm');
      const edToken = await (await TokenMinter.forPrivateKey(ED25519.privateKey)).mint({ subject: 'alice', roles: ['admin'], ttlSeconds: 600, now: NOW });
      await expectRejected(rs256, edToken, 'wrong_algorithm');
    });

    it('a token signed with another key', async () => {
      await expectRejected(hs256, handBuilt({ alg: 'HS256' }, claims(), 'another-secret-that-is-32-bytes!'), 'bad_signature');
      const otherRsa = await TokenMinter.forPrivateKey(pemPair('rsa').privateKey);
      await expectRejected(rs256, await otherRsa.mint({ subject: 'alice', roles: ['admin'], ttlSeconds: 600, now: NOW }), 'bad_signature');
      const otherEd = await TokenMinter.forPrivateKey(pemPair('ed25519').privateKey);
      await expectRejected(eddsa, await otherEd.mint({ subject: 'alice', roles: ['admin'], ttlSeconds: 600, now: NOW }), 'bad_signature');
    });

    it.each(['sub', 'exp', 'roles'])('a token without "%s"', async (claim) => {
      const payload = claims();
      delete payload[claim];
      await expectRejected(hs256, handBuilt({ alg: 'HS256' }, payload, SECRET), 'missing_claim', new RegExp(`lacks the required "${claim}" claim`));
    });

    it.each([
      ['a string', 'admin'],
      ['an object', { admin: true }],
      ['an array holding a number', ['analyst', 7]],
      ['null', null],
    ])('a roles claim that is %s', async (_kind, roles) => {
      await expectRejected(hs256, handBuilt({ alg: 'HS256' }, claims({ roles }), SECRET), 'invalid_claim', /"roles" claim must be an array of role names/);
    });

    it('an empty or non-string subject, and an exp that is not a number', async () => {
      await expectRejected(hs256, handBuilt({ alg: 'HS256' }, claims({ sub: '' }), SECRET), 'invalid_claim', /"sub"/);
      await expectRejected(hs256, handBuilt({ alg: 'HS256' }, claims({ sub: 42 }), SECRET), 'invalid_claim', /"sub"/);
      await expectRejected(hs256, handBuilt({ alg: 'HS256' }, claims({ exp: 'tomorrow' }), SECRET), 'invalid_claim', /"exp"/);
    });

    it.each([
      ['not a JWT at all', 'hello'],
      ['two parts', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0'],
      ['a header that is not JSON', `${b64url('nope')}.${b64url(claims())}.c2ln`],
    ])('%s', async (_kind, token) => {
      await expectRejected(hs256, token, 'malformed', /not a well-formed signed JWT/);
    });

    it('a correctly signed payload that is not a JSON object', async () => {
      const signingInput = `${b64url({ alg: 'HS256' })}.${b64url('["not", "claims"]')}`;
      const token = `${signingInput}.${createHmac('sha256', SECRET).update(signingInput).digest('base64url')}`;
      await expectRejected(hs256, token, 'malformed');
    });
  });

  describe('configuration', () => {
    it('refuses an HS256 secret shorter than 32 bytes', async () => {
      await expect(TokenVerifier.create({ algorithm: 'HS256', secret: 'short' })).rejects.toThrow(/at least 32 bytes/);
      expect(() => TokenMinter.forSecret('short')).toThrow(/at least 32 bytes/);
    });

    it('decides the algorithm from the public key: RS256 for RSA, EdDSA for Ed25519', () => {
      expect(publicKeyAlgorithm(RSA.publicKey)).toBe('RS256');
      expect(publicKeyAlgorithm(ED25519.publicKey)).toBe('EdDSA');
    });

    it('refuses private keys, small RSA keys, other key types and non-keys, without quoting them', () => {
      expect(() => publicKeyAlgorithm(RSA.privateKey)).toThrow(/holds a private key/);
      expect(() => publicKeyAlgorithm(pemPair('rsa', 1024).publicKey)).toThrow(/RSA key of 1024 bits; RS256 needs at least 2048/);
      expect(() => publicKeyAlgorithm(pemPair('ec').publicKey)).toThrow(/key of type ec; use an RSA key \(RS256\) or an Ed25519 key \(EdDSA\)/);
      expect(() => publicKeyAlgorithm('not a key')).toThrow(/must be a PEM public key/);
      const broken = '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n';
      expect(() => publicKeyAlgorithm(broken)).toThrow(/^is not a readable PEM public key$/);
    });
  });
});
