import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../adapters/files.js';
import { PUBLISHED_SCHEMAS, renderSchema } from '../core/model/json-schema.js';
import { resolveRoot, withRepo } from './common.js';

/** Writes or checks the JSON Schemas in schemas/, generated from the zod model. */
export function registerSchemas(program: Command): void {
  const command = program
    .command('schemas')
    .description('write or check the JSON Schemas in schemas/ (generated from the flag model)')
    .option('--write', 'write the schema files')
    .option('--check', 'fail when the checked-in files differ from the model (default)');
  withRepo(command);
  command.action((options: { repo: string; write?: boolean }) => {
    const dir = join(resolveRoot(options.repo), 'schemas');
    let stale = 0;
    for (const [name, make] of Object.entries(PUBLISHED_SCHEMAS)) {
      const path = join(dir, name);
      const expected = renderSchema(make());
      let actual: string | undefined;
      try {
        actual = readFileSync(path, 'utf8');
      } catch {
        actual = undefined;
      }
      if (actual === expected) continue;
      if (options.write) {
        writeFileAtomic(path, expected);
        process.stdout.write(`wrote schemas/${name}\n`);
      } else {
        stale++;
        process.stderr.write(
          `schemas/${name}: ${actual === undefined ? 'missing' : 'differs from the flag model'}\n  fix: run npx flags schemas --write\n`,
        );
      }
    }
    if (!options.write && stale === 0) process.stdout.write('schemas are up to date\n');
    process.exitCode = stale > 0 ? 1 : 0;
  });
}
