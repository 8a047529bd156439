import type { Command } from 'commander';
import { registerCheck } from './check.js';
import { registerSchemas } from './schemas.js';

/** Every command of the CLI. Each module registers one command and owns its options. */
export const COMMANDS: readonly ((program: Command) => void)[] = [registerCheck, registerSchemas];
