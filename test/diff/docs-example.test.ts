import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitdir } from '../helpers/gitdir.js';
import { REPO_ROOT, runCli } from '../helpers/run-cli.js';

/**
 * docs/diff.md shows the output of a branch of the example repository. This test makes that branch
 * and checks that the documented output is still what the command prints; when the example flags
 * change, regenerate the two blocks in docs/diff.md.
 */
describe('the example in docs/diff.md', () => {
  it('is what flags diff prints for the documented branch of the example repository', async () => {
    const repo = await gitdir({ example: true });
    await repo.commit('example');
    await repo.git.checkoutLocalBranch('feature');
    const read = (file: string) => readFileSync(join(repo.dir, file), 'utf8');
    const edit = (file: string, from: string, to: string) => {
      const text = read(file);
      if (!text.includes(from)) throw new Error(`the example changed: ${file} lacks ${JSON.stringify(from)}`);
      repo.write(file, text.replace(from, to));
    };
    edit(
      'flags/advanced-analytics.yaml',
      '      - org: org_initech2210\n        agreement: ORD-2025-0342\n',
      '',
    );
    edit('flags/advanced-analytics.yaml', 'expires: 2026-12-31', 'expires: 2027-03-31');
    repo.write(
      'flags/advanced-analytics.yaml',
      `${read('flags/advanced-analytics.yaml').trimEnd()}\n      - org: org_wayne0001\n        agreement: MSA-2026-0412\n`,
    );
    edit('flags/new-checkout-flow.yaml', 'percentage: 25', 'percentage: 50');
    edit('flags/new-checkout-flow.yaml', 'expires: 2027-02-12', 'expires: 2027-03-14');
    const invoice = read('flags/invoice-pdf-v2.yaml');
    repo.remove('flags/invoice-pdf-v2.yaml');
    repo.write(
      'flags/growth/invoice-pdf-v2.yaml',
      invoice.replace('$schema=../schemas', '$schema=../../schemas'),
    );
    repo.remove('flags/search-reindex-batch.yaml');
    repo.write(
      'flags/bulk-export.yaml',
      read('flags/read-only-mode.yaml')
        .replace('key: read-only-mode', 'key: bulk-export')
        .replace('"@acme/sre"', '"@acme/data"')
        .replace('type: operational', 'type: release')
        .replace(/^reviewed: .*$/m, 'expires: 2027-01-31'),
    );
    await repo.commit('the documented branch');
    const docs = readFileSync(join(REPO_ROOT, 'docs/diff.md'), 'utf8');
    const text = await runCli(['diff', 'main', 'feature'], { cwd: repo.dir });
    expect(docs).toContain(`$ npx flags diff main feature\n${text.stdout}\`\`\``);
    const markdown = await runCli(['diff', 'main', 'feature', '--format', 'markdown'], { cwd: repo.dir });
    expect(docs).toContain(`\`\`\`markdown\n${markdown.stdout}\`\`\``);
  });
});
