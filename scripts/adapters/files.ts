/** Atomic writes for every output of the toolkit: never a half-written bundle, report or cache. */
export { writeFileAtomic } from '../runtime/atomic-write.js';
