import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/gitdir.js';
import { checkJson, flagYaml } from '../check/check-cli.js';

/** Which CODEOWNERS file `flags check` reads: the first of .github/, the root, docs/, as GitHub does. */
describe('flags check finds CODEOWNERS where GitHub does', () => {
  it('uses .github/CODEOWNERS, then CODEOWNERS, then docs/CODEOWNERS, and warns when none exists', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'flags'));
    writeFileSync(join(dir, 'flags', 'audit-log.yaml'), flagYaml('audit-log', { owner: '@acme/security' }));
    const locations = ['.github/CODEOWNERS', 'CODEOWNERS', 'docs/CODEOWNERS'];
    for (const [i, location] of locations.entries()) {
      mkdirSync(join(dir, location, '..'), { recursive: true });
      writeFileSync(join(dir, location), `# read from ${location}\n/flags/ @acme/team-${i}\n`);
    }
    const seen: string[] = [];
    for (const location of locations) {
      const { report } = await checkJson(dir);
      expect(report.findings).toHaveLength(1);
      seen.push(`${report.findings[0]!.code} ${report.findings[0]!.message}`);
      rmSync(join(dir, location));
    }
    const { report } = await checkJson(dir);
    seen.push(`${report.findings[0]!.code} ${report.findings[0]!.message}`);
    expect(seen).toEqual([
      'ownership/owner-mismatch owner @acme/security is not a code owner of flags/audit-log.yaml (.github/CODEOWNERS:2 "/flags/" assigns @acme/team-0)',
      'ownership/owner-mismatch owner @acme/security is not a code owner of flags/audit-log.yaml (CODEOWNERS:2 "/flags/" assigns @acme/team-1)',
      'ownership/owner-mismatch owner @acme/security is not a code owner of flags/audit-log.yaml (docs/CODEOWNERS:2 "/flags/" assigns @acme/team-2)',
      'ownership/no-codeowners no CODEOWNERS file: flag owners are not asked to review changes',
    ]);
  });

  it('reports syntax problems with the path of the CODEOWNERS file that was read', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'flags'));
    mkdirSync(join(dir, '.github'));
    writeFileSync(join(dir, 'flags', 'audit-log.yaml'), flagYaml('audit-log'));
    writeFileSync(
      join(dir, '.github', 'CODEOWNERS'),
      '/flags/ @acme/platform\n!/flags/secret.yaml @acme/security\n',
    );
    const { code, report } = await checkJson(dir);
    expect(code).toBe(1);
    expect(report.findings.map((f) => `${f.file}:${f.line}:${f.col} ${f.code}`)).toEqual([
      '.github/CODEOWNERS:2:1 codeowners/unsupported-syntax',
    ]);
  });
});
