/**
 * Module hooks that append the URL of every ES module loaded to the file given as `data.log`, for
 * tests of what a process loads. Register with `register('data:text/javascript,' +
 * encodeURIComponent(MODULE_LOG_HOOKS), parent, { data: { log } })`.
 *
 * Hooks run on a thread of their own in Node 20; a synchronous append is in the log before the
 * import that caused it settles.
 */
export const MODULE_LOG_HOOKS = `
import { appendFileSync } from 'node:fs';
let log;
export async function initialize(data) { log = data.log; }
export async function load(url, context, next) {
  appendFileSync(log, url + '\\n');
  return next(url, context);
}
`;
