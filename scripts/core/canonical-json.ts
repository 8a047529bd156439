/**
 * JSON Canonicalization Scheme (RFC 8785). The implementation lives in the runtime, which applications
 * load without the core; the core and the commands use it from here.
 */
export { canonicalBytes, canonicalJson } from '../runtime/canonical-json.js';
