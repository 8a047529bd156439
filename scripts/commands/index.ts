import type { Command } from 'commander';
import { registerBuild } from './build.js';
import { registerCheck } from './check.js';
import { registerClaims } from './claims.js';
import { registerCodeowners } from './codeowners.js';
import { registerDiff } from './diff.js';
import { registerNew } from './new.js';
import { registerRefs } from './refs.js';
import { registerReport } from './report.js';
import { registerRetire } from './retire.js';
import { registerKeygen } from './keygen.js';
import { registerKeyset } from './keyset.js';
import { registerSchemas } from './schemas.js';
import { registerVerify } from './verify.js';
import { registerWho } from './who.js';

/** Every command of the CLI. Each module registers one command and owns its options. */
export const COMMANDS: readonly ((program: Command) => void)[] = [
  registerCheck,
  registerBuild,
  registerVerify,
  registerKeygen,
  registerKeyset,
  registerDiff,
  registerSchemas,
  registerReport,
  registerCodeowners,
  registerClaims,
  registerWho,
  registerNew,
  registerRetire,
  registerRefs,
];
