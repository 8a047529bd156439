import { randomBytes } from 'node:crypto';
import express from 'express';
import { exportJWK, SignJWT } from 'jose';

/**
 * Sessions whose access tokens carry the `feature_flags` claim, refreshed the way WorkOS's
 * session-refresh flow does it: a token is re-minted on the session's next request once its claim
 * may have changed. The runtime answers that cheaply: `claimChangedSince(organization, serial,
 * mintedAt)` looks the organization up in what the serving bundle says changed since the token's
 * serial (and in what the clock changed since it was minted). Sessions of other organizations
 * keep their tokens.
 */

const SESSION_COOKIE = 'sid';

/**
 * @param {object} options
 * @param {import('flags-as-code/runtime').FlagsRuntime} options.runtime a runtime serving bundles
 * @param {CryptoKey | import('node:crypto').KeyObject} options.privateKey Ed25519 key the tokens are signed with
 * @param {CryptoKey | import('node:crypto').KeyObject} options.publicKey its public half, served as a JWKS
 * @param {string} [options.issuer]
 * @param {() => number} [options.now] epoch ms
 */
export function createSessionApp({
  runtime,
  privateKey,
  publicKey,
  issuer = 'session-refresh-example',
  now = Date.now,
}) {
  /** @type {Map<string, { organizationId: string, token: string, serial: number, mintedAt: number, refreshes: number }>} */
  const sessions = new Map();

  async function mint(organizationId) {
    const serial = runtime.statement?.serial ?? 0;
    const mintedAt = now();
    const token = await new SignJWT({
      org_id: organizationId,
      feature_flags: runtime.claimsFor(organizationId),
      flags_serial: serial,
    })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'session-key' })
      .setIssuer(issuer)
      .setSubject(organizationId)
      .setIssuedAt(Math.floor(mintedAt / 1000))
      .setExpirationTime(Math.floor(mintedAt / 1000) + 300)
      .sign(privateKey);
    return { token, serial, mintedAt };
  }

  const app = express();
  app.use(express.json({ limit: '4kb' }));

  // Signs in to an organization: a new session with a fresh token.
  app.post('/sessions', async (req, res) => {
    const organizationId = req.body?.organizationId;
    if (typeof organizationId !== 'string' || organizationId === '') {
      res.status(400).json({ error: 'give {"organizationId": "..."}' });
      return;
    }
    if (!runtime.ready) {
      res.status(503).json({ error: 'no verified flag bundle yet' });
      return;
    }
    const id = randomBytes(18).toString('base64url');
    const session = { organizationId, ...(await mint(organizationId)), refreshes: 0 };
    sessions.set(id, session);
    res.cookie(SESSION_COOKIE, id, { httpOnly: true, sameSite: 'strict' });
    res.json({ token: session.token, refreshed: false });
  });

  // The session's token: re-minted first when the organization's claim may have changed.
  app.get('/session', async (req, res) => {
    const session = sessions.get(cookieOf(req.headers.cookie, SESSION_COOKIE) ?? '');
    if (!session) {
      res.status(401).json({ error: 'no session' });
      return;
    }
    let refreshed = false;
    if (runtime.claimChangedSince(session.organizationId, session.serial, session.mintedAt)) {
      Object.assign(session, await mint(session.organizationId));
      session.refreshes++;
      refreshed = true;
    }
    res.json({ token: session.token, refreshed, serial: session.serial });
  });

  app.get('/.well-known/jwks.json', async (_req, res) => {
    res.json({ keys: [{ ...(await exportJWK(publicKey)), kid: 'session-key', alg: 'EdDSA', use: 'sig' }] });
  });

  app.get('/health', (_req, res) => {
    res.status(runtime.ready ? 200 : 503).json(runtime.status());
  });

  return { app, sessions };
}

/** One cookie's value from a Cookie header. */
function cookieOf(header, name) {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return decodeURIComponent(part.slice(at + 1).trim());
  }
  return undefined;
}
