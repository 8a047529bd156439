/**
 * Dead Simple Signing Envelope (DSSE v1): signatures are made over the pre-authentication encoding
 * PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, with LEN the ASCII decimal
 * byte length, so the payload type is as much signed as the payload and no byte can move between
 * the two.
 */

export interface DsseSignature {
  keyid: string;
  /** Base64 of the raw Ed25519 signature (64 bytes). */
  sig: string;
}

export interface DsseEnvelope {
  /** Base64 of the serialized body. */
  payload: string;
  payloadType: string;
  signatures: DsseSignature[];
}

const utf8 = new TextEncoder();

export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = utf8.encode(payloadType);
  const head = utf8.encode(`DSSEv1 ${type.length} `);
  const middle = utf8.encode(` ${payload.byteLength} `);
  const out = new Uint8Array(head.length + type.length + middle.length + payload.byteLength);
  out.set(head, 0);
  out.set(type, head.length);
  out.set(middle, head.length + type.length);
  out.set(payload, head.length + type.length + middle.length);
  return out;
}
