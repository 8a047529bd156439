// Runs check-runtime.mjs in workerd (through miniflare): the scenario is the SCENARIO binding.
import * as base64 from './runtime/base64.js';
import * as runtime from './runtime/index.js';
import * as native from './runtime/native.js';
import { check } from './check-runtime.mjs';

export default {
  async fetch(_request, env) {
    return Response.json(await check(runtime, base64, native, env.SCENARIO));
  },
};
