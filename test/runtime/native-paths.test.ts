import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { importEd25519Spki, sha256Hex, verifyEd25519, webSha256Hex } from '../../scripts/runtime/crypto.js';
import { asciiText, nodeCrypto, portableAsciiText } from '../../scripts/runtime/native.js';

/**
 * The runtime uses what a JavaScript runtime has natively where it has it (Node's crypto, Buffer)
 * and standard APIs elsewhere (WebCrypto, TextDecoder). On Node both paths run, so both are held
 * here to the same answers; test/edge runs the standard paths in Deno, Bun, workerd and Chromium.
 */

describe("the runtime's native and standard paths", () => {
  it("finds Node's crypto on Node", () => {
    expect(nodeCrypto).toBeDefined();
  });

  it('hash alike: sha256 through Node and through WebCrypto', async () => {
    for (const size of [0, 1, 55, 56, 64, 1000, 300_000]) {
      const bytes = new Uint8Array(size).map((_, i) => (i * 31 + size) & 0xff);
      const expected = createHash('sha256').update(bytes).digest('hex');
      expect(await sha256Hex(bytes)).toBe(expected);
      expect(await webSha256Hex(bytes)).toBe(expected);
    }
  });

  it('verify alike: Ed25519 through Node and through WebCrypto, a tampered message or signature refused by both', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const der = publicKey.export({ type: 'spki', format: 'der' });
    const withNode = (await importEd25519Spki(der))!;
    const webOnly = await crypto.subtle.importKey('spki', der, { name: 'Ed25519' }, false, ['verify']);
    const message = new TextEncoder().encode('DSSEv1 10 statements 2 {}');
    const signature = new Uint8Array(sign(null, message, privateKey));
    const tamperedMessage = message.slice();
    tamperedMessage[7]! ^= 1;
    const tamperedSignature = signature.slice();
    tamperedSignature[5]! ^= 1;
    for (const key of [withNode, webOnly]) {
      expect(await verifyEd25519(key, message, signature)).toBe(true);
      expect(await verifyEd25519(key, tamperedMessage, signature)).toBe(false);
      expect(await verifyEd25519(key, message, tamperedSignature)).toBe(false);
      expect(await verifyEd25519(key, message, signature.subarray(0, 63))).toBe(false);
    }
  });

  it('refuse a key that is not an Ed25519 public key', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(await importEd25519Spki(publicKey.export({ type: 'spki', format: 'der' }))).toBeUndefined();
    expect(await importEd25519Spki(new Uint8Array([0x30, 0x03, 0x01]))).toBeUndefined();
  });

  it('read ASCII alike, and turn any other byte into a character no check accepts as ASCII', () => {
    const ascii = new Uint8Array(128).map((_, i) => i);
    expect(asciiText(ascii)).toBe(portableAsciiText(ascii));
    for (const byte of [0x80, 0xc3, 0xff]) {
      const bytes = new Uint8Array([0x41, byte, 0x42]);
      for (const text of [asciiText(bytes), portableAsciiText(bytes)])
        expect(/[^\x00-\x7f]/.test(text)).toBe(true);
    }
  });
});
