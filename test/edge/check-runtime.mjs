/**
 * What every JavaScript runtime must do with the runtime package, in standard JavaScript only (no
 * Node API), so Node, Deno, Bun, workerd and Chromium run the same file: verify a keyset and a
 * bundle signed with a key made in the test, evaluate flags, keep its state in a store the
 * application passes (there is no filesystem in Workers and browsers), refuse a tampered bundle,
 * and decode strict base64 alike with every decoder the runtime has.
 *
 * `runtime` is the package's entry; `base64` and `native` its modules of the same names.
 */
export async function check(runtime, base64, native, scenario) {
  const bytes = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const stored = new Map();
  const stateStore = {
    name: 'memory',
    read: async () => stored.get('state'),
    write: async (text) => {
      stored.set('state', text);
    },
  };
  const now = () => scenario.now;
  const keyset = await runtime.loadKeyset(
    { bytes: new TextEncoder().encode(scenario.keyset) },
    { stateStore },
  );
  const flags = await runtime.FlagsRuntime.create({ environment: 'production', keyset, stateStore, now });
  const loaded = await flags.loadBytes(bytes(scenario.bundle));
  const other = await runtime.FlagsRuntime.create({ environment: 'production', keyset, now });
  const tampered = await other.loadBytes(bytes(scenario.tampered));
  const resolution = flags.resolve('api-limits', { organizationId: scenario.organization });
  const state = JSON.parse(stored.get('state') ?? '{}');

  const strict = {};
  for (const { name, decode } of base64.availableDecoders) {
    const decodeStrict = base64.strictBase64(decode);
    const hex = (text) => {
      const out = decodeStrict(text);
      return out === undefined ? null : Array.from(out, (b) => b.toString(16).padStart(2, '0')).join('');
    };
    strict[name] = Object.fromEntries(scenario.base64Cases.map((text) => [text, hex(text)]));
  }

  return {
    loaded: loaded.ok,
    serial: flags.statement?.serial,
    value: resolution.value,
    reason: resolution.reason,
    claims: flags.claimsFor(scenario.organization),
    tampered: tampered.ok ? 'accepted' : tampered.error.code,
    remembered: Object.values(state.bundles ?? {}).map((mark) => mark.serial),
    strict,
    paths: {
      nodeCrypto: native.nodeCrypto !== undefined,
      buffer: native.nativeBuffer !== undefined,
      fromBase64: native.fromBase64 !== undefined,
    },
  };
}
