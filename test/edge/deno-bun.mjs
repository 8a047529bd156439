// Runs check-runtime.mjs in Deno or Bun: arguments are the package's ESM folder and the scenario file.
import { check } from './check-runtime.mjs';

const [dist, scenarioFile] = (globalThis.Deno ? Deno.args : Bun.argv.slice(2)).map(
  (p) => new URL(`file://${p}`),
);
const load = (name) => import(new URL(`${dist.href}/${name}.js`).href);
const scenario = JSON.parse(
  await (globalThis.Deno ? Deno.readTextFile(scenarioFile) : Bun.file(scenarioFile).text()),
);
const result = await check(await load('index'), await load('base64'), await load('native'), scenario);
console.log(JSON.stringify(result));
