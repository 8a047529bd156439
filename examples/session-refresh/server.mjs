import { generateKeyPair } from 'jose';
import { FlagsRuntime } from 'flags-as-code/runtime';
import { createSessionApp } from './app.mjs';

/**
 * The session-refresh example as a process. Configuration from the environment:
 *   FLAGS_BUNDLE_URL   where the environment's signed bundle is served (required)
 *   FLAGS_KEYSET       path (or URL) of the committed keyset, keys/keyset.json (required)
 *   FLAGS_ENVIRONMENT  the environment this application runs in (default production)
 *   POLL_MS            how often the bundle is polled (default 60000)
 *   JITTER_MS          the first poll waits up to this long more, so instances started together spread
 *                      (default POLL_MS / 10); each wait after is POLL_MS plus up to a fifth of it (watch's jitter)
 *   HOST, PORT         where to listen (default 127.0.0.1, 3000)
 *   FLAGS_NOW          start the clock at this instant (ISO 8601; tests pin time), else the real clock
 * Run: node examples/session-refresh/server.mjs (after npm run build).
 */

const env = process.env;
const required = (name) => {
  const value = env[name];
  if (!value) {
    process.stderr.write(`error: set ${name} (see the comment at the top of server.mjs)\n`);
    process.exit(2);
  }
  return value;
};
const bundleUrl = required('FLAGS_BUNDLE_URL');
const keysetSource = required('FLAGS_KEYSET');
const pollMs = Number(env.POLL_MS ?? 60_000);
const jitterMs = Number(env.JITTER_MS ?? pollMs / 10);
const startedAt = Date.now();
const pinned = env.FLAGS_NOW ? Date.parse(env.FLAGS_NOW) : undefined;
const now = pinned === undefined ? Date.now : () => pinned + (Date.now() - startedAt);

const runtime = await FlagsRuntime.create({
  environment: env.FLAGS_ENVIRONMENT ?? 'production',
  now,
  keyset: /^https?:/.test(keysetSource) ? { url: keysetSource } : { path: keysetSource },
  onError: (error) => process.stderr.write(`flags: bundle refused [${error.code}]: ${error.message}\n`),
});
const first = await runtime.load({ url: bundleUrl });
if (!first.ok) process.stderr.write(`flags: no bundle yet: ${first.error.message}\n`);

const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
const { app } = createSessionApp({ runtime, privateKey, publicKey, now });

// Polls start after a random share of the jitter, so a fleet started together does not poll together.
setTimeout(
  () =>
    runtime.watch({ url: bundleUrl }, pollMs, {
      onChange: (change) =>
        process.stdout.write(
          `claims changed at serial ${change.serial} (${change.cause}): ${change.organizations === 'everyone' ? 'everyone' : change.organizations.join(', ') || 'nobody'}\n`,
        ),
    }),
  Math.random() * jitterMs,
).unref();

const server = app.listen(Number(env.PORT ?? 3000), env.HOST ?? '127.0.0.1', () => {
  const { address, port } = server.address();
  process.stdout.write(`listening on http://${address}:${port}\n`);
});
