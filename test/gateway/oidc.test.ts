/**
 * OIDC access tokens against a real OpenID provider: a valid token proves its subject and roles; expired,
 * wrong-audience, foreign-issuer and tampered tokens prove nothing; a rotated signing key is picked up.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { looksLikeJwt, OidcVerifier } from '../../src/gateway/oidc.js';
import { startOidcProvider, type TestOidcProvider } from '../helpers/oidcProvider.js';
import { sleep } from '../helpers/wait.js';

const AUDIENCE = 'http://127.0.0.1:8765/mcp';
let idp: TestOidcProvider;

beforeAll(async () => {
  idp = await startOidcProvider({ 'alice-cli': ['dev', 'ops'] });
});
afterAll(() => idp?.close());

function verifier(extra: Partial<ConstructorParameters<typeof OidcVerifier>[0]> = {}, reasons: string[] = []) {
  return new OidcVerifier(
    { issuer: idp.issuer, audience: AUDIENCE, clockTolerance: 0, ...extra },
    { cooldownMs: 0, onReject: (why) => reasons.push(why) },
  );
}

describe('OIDC access tokens (oidc-provider)', () => {
  test('a valid token: identity from its subject, roles from the roles claim, claims kept', async () => {
    const token = await idp.token({ resource: AUDIENCE, scope: 'mcp:tools memory:read' });
    expect(looksLikeJwt(token)).toBe(true);
    const identity = await verifier().verify(token);
    expect(identity).toMatchObject({ id: 'oidc:alice-cli', kind: 'oidc', roles: ['dev', 'ops'] });
    expect(identity?.claims?.scope).toBe('mcp:tools memory:read');
    expect(identity?.claims?.iss).toBe(idp.issuer);
  });

  test('wrong audience, another issuer and a tampered signature are refused', async () => {
    const reasons: string[] = [];
    const other = await idp.token({ resource: 'http://elsewhere.example/mcp' });
    expect(await verifier({}, reasons).verify(other)).toBeUndefined();
    expect(reasons.pop()).toMatch(/aud/);
    const token = await idp.token({ resource: AUDIENCE });
    expect(
      await verifier({ issuer: 'http://127.0.0.1:1/', jwksUri: `${idp.issuer}/jwks` }).verify(token),
    ).toBeUndefined();
    const [h, p, sig] = token.split('.');
    const flipped = `${h}.${p}.${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(await verifier({}, reasons).verify(flipped)).toBeUndefined();
  });

  test('an expired token is refused', async () => {
    idp.ttl = 1;
    const token = await idp.token({ resource: AUDIENCE });
    idp.ttl = 300;
    const exp = decodeJwt(token).exp! * 1000;
    await sleep(Math.max(0, exp - Date.now()) + 1100);
    const reasons: string[] = [];
    expect(await verifier({}, reasons).verify(token)).toBeUndefined();
    expect(reasons).toEqual(['the token has expired']);
  });

  test('key rotation: a token signed with the new key verifies on the same verifier', async () => {
    const v = verifier();
    const before = await idp.token({ resource: AUDIENCE });
    expect((await v.verify(before))?.id).toBe('oidc:alice-cli');
    await idp.rotate();
    const after = await idp.token({ resource: AUDIENCE, client: 'bob-cli' });
    expect(decodeJwtHeader(after).kid).not.toBe(decodeJwtHeader(before).kid);
    expect((await v.verify(after))?.id).toBe('oidc:bob-cli');
  });
});

function decodeJwtHeader(token: string): { kid?: string } {
  return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString());
}
