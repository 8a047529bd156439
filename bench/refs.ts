import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { SKIPPED_DIRS, scanReferences, walkSourceFiles } from '../scripts/adapters/source-files.js';
import { aliasOf } from '../scripts/core/refs/aliases.js';
import { isEvidence } from '../scripts/core/refs/find.js';
import { argValue, median } from './support.js';

/**
 * The reference scan on a real, large JavaScript/TypeScript code base from node_modules (the
 * TypeScript compiler's lib folder and the sources of zod, ajv, yaml, vite, vitest and Verdaccio),
 * with flag keys planted in it: true references (an SDK call, a literal) and look-alikes that must
 * not count (the key in a comment, in a regular expression, inside a longer string, as an
 * identifier). Reports files per second and the share of false references, beside two baselines
 * measured in the same run: the scanner this one replaced (every quoted token, comments included)
 * and the TypeScript parser (string literal nodes), plus the floor of only reading the files.
 *
 *   npm run bench:refs -- [--runs N] [--keys N] [--every N] [--keep]
 */

const ROOT = join(import.meta.dirname, '..');
const PACKAGES = ['typescript/lib', 'zod', 'ajv', 'yaml', 'vite', 'vitest', '@vitest', '@verdaccio'];
const SOURCE = /\.(?:[cm]?js|[cm]?ts|tsx|jsx)$/;
const MAX_BYTES = 2 * 1024 * 1024;

const argv = process.argv.slice(2);
const runs = Math.max(1, Number(argValue(argv, '--runs') ?? 3));
const keyCount = Math.max(1, Number(argValue(argv, '--keys') ?? 40));
const every = Math.max(1, Number(argValue(argv, '--every') ?? 5));

function copyCorpus(into: string): string[] {
  const files: string[] = [];
  for (const pkg of PACKAGES) {
    const from = join(ROOT, 'node_modules', pkg);
    let entries: string[];
    try {
      entries = readdirSync(from, { recursive: true }) as string[];
    } catch {
      continue;
    }
    for (const entry of entries.sort()) {
      if (!SOURCE.test(entry) || entry.split(/[\\/]/).includes('node_modules')) continue;
      const abs = join(from, entry);
      const stat = statSync(abs, { throwIfNoEntry: false });
      if (!stat?.isFile() || stat.size > MAX_BYTES) continue;
      // The scan skips dist/ and build/ folders (an application's build output); a package's are its code.
      const to = join(
        into,
        pkg,
        ...entry.split(/[\\/]/).map((part) => (SKIPPED_DIRS.has(part) ? `${part}-src` : part)),
      );
      mkdirSync(dirname(to), { recursive: true });
      writeFileSync(to, readFileSync(abs));
      files.push(relative(into, to).split('\\').join('/'));
    }
  }
  return files;
}

/** Appends to every `every`-th file two true references and five look-alikes of one key; returns where the true ones are. */
function plant(dir: string, files: readonly string[], keys: readonly string[]): Set<string> {
  const expected = new Set<string>();
  files.forEach((file, i) => {
    if (i % every !== 0) return;
    const key = keys[(i / every) % keys.length]!;
    const path = join(dir, file);
    const text = readFileSync(path, 'utf8');
    const base = text.endsWith('\n') ? text : `${text}\n`;
    const line = base.split('\n').length;
    const block = [
      `;if (__flags.isEnabled('${key}', __org)) {}`,
      `;const __planted${i} = ['${key}'];`,
      `// ${key} is also named in this comment: '${key}'`,
      `/* and in a block comment: "${key}" */`,
      `;const __re${i} = /'${key}'/;`,
      `;const __other${i} = '${key}-legacy';`,
      `;const ${aliasOf(key, 'camelCase')}${i} = ${aliasOf(key, 'camelCase')};`,
      '',
    ].join('\n');
    writeFileSync(path, base + block);
    expected.add(`${file}:${line}`);
    expected.add(`${file}:${line + 1}`);
  });
  return expected;
}

interface Found {
  files: number;
  evidence: { file: string; line: number }[];
}

/**
 * The scanner before this one, as it was: one regular expression for quoted runs of key characters
 * and bare words (for aliases), a table lookup per token, comments and regular expressions included.
 */
function previousScanner(dir: string, keys: ReadonlySet<string>): Found {
  const token = /(['"`])([A-Za-z0-9_$-]+)\1|[A-Za-z_$][A-Za-z0-9_$]*/g;
  const lookup = new Map<string, boolean>();
  for (const key of keys) {
    lookup.set(key, true);
    lookup.set(aliasOf(key, 'camelCase'), false);
  }
  const found: Found = { files: 0, evidence: [] };
  for (const source of walkSourceFiles(dir, [])) {
    found.files++;
    for (const m of source.text.matchAll(token)) {
      const quoted = m[2];
      if (quoted !== undefined && lookup.get(quoted) === true)
        found.evidence.push({ file: source.file, line: lineAt(source.text, m.index) });
      else if (quoted === undefined) lookup.get(m[0]);
    }
  }
  return found;
}

function typescriptParser(dir: string, keys: ReadonlySet<string>): Found {
  const found: Found = { files: 0, evidence: [] };
  for (const source of walkSourceFiles(dir, [])) {
    found.files++;
    const sf = ts.createSourceFile(source.file, source.text, ts.ScriptTarget.Latest, false);
    const visit = (node: ts.Node): void => {
      if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && keys.has(node.text))
        found.evidence.push({
          file: source.file,
          line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1,
        });
      node.forEachChild(visit);
    };
    visit(sf);
  }
  return found;
}

function thisScanner(dir: string, keys: readonly string[]): Found {
  const scan = scanReferences(dir, [], keys, ['camelCase'], { exclude: [] });
  return { files: scan.files, evidence: scan.references.filter(isEvidence) };
}

function readOnly(dir: string): Found {
  let files = 0;
  for (const _ of walkSourceFiles(dir, [])) files++;
  return { files, evidence: [] };
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

function judge(found: Found, expected: ReadonlySet<string>) {
  const seen = new Set(found.evidence.map((r) => `${r.file}:${r.line}`));
  const falseRefs = found.evidence.filter((r) => !expected.has(`${r.file}:${r.line}`)).length;
  const missed = [...expected].filter((e) => !seen.has(e)).length;
  return {
    found: found.evidence.length,
    falseRefs,
    missed,
    share: found.evidence.length ? falseRefs / found.evidence.length : 0,
  };
}

function timed(fn: () => Found): { ms: number; result: Found } {
  const times: number[] = [];
  let result: Found = { files: 0, evidence: [] };
  for (let round = 0; round < runs; round++) {
    const started = performance.now();
    result = fn();
    times.push(performance.now() - started);
  }
  return { ms: median(times), result };
}

const dir = mkdtempSync(join(tmpdir(), 'flags-bench-refs-'));
try {
  const files = copyCorpus(dir);
  const bytes = files.reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
  const keys = Array.from({ length: keyCount }, (_, i) => `bench-flag-${String(i).padStart(2, '0')}-rollout`);
  const expected = plant(dir, files, keys);
  const keySet = new Set(keys);
  // Warm up the file cache and the JIT once, so that the first contender is not charged for it.
  readOnly(dir);
  thisScanner(dir, keys);
  const rows = [
    ['read the files only (floor)', timed(() => readOnly(dir))],
    ['this scanner (tokenizer)', timed(() => thisScanner(dir, keys))],
    ['previous scanner (one regular expression)', timed(() => previousScanner(dir, keySet))],
    ['TypeScript parser (string literal nodes)', timed(() => typescriptParser(dir, keySet))],
  ] as const;
  const unknownInCorpus = scanReferences(dir, [], keys, [], { exclude: [], unknown: true }).unknown.length;
  console.log(
    `corpus: ${files.length} files, ${(bytes / 1_048_576).toFixed(1)} MiB of ${PACKAGES.join(', ')} (node_modules); ${keys.length} keys planted in ${expected.size / 2} files (${expected.size} true references, ${(expected.size / 2) * 5} look-alikes); median of ${runs} runs`,
  );
  const floor = rows[0][1].ms;
  for (const [name, { ms, result }] of rows) {
    const perSecond = Math.round(result.files / (ms / 1000));
    const cost = `${(ms / floor).toFixed(1)}× the floor`;
    if (result.evidence.length === 0 && name.startsWith('read')) {
      console.log(
        `${name.padEnd(44)} ${ms.toFixed(0).padStart(6)} ms  ${String(perSecond).padStart(7)} files/s`,
      );
      continue;
    }
    const j = judge(result, expected);
    console.log(
      `${name.padEnd(44)} ${ms.toFixed(0).padStart(6)} ms  ${String(perSecond).padStart(7)} files/s  ${cost}  ${j.found} references, ${j.falseRefs} false (${(j.share * 100).toFixed(1)}%), ${j.missed} missed`,
    );
  }
  console.log(
    `unknown keys reported in the corpus beyond the planted ones (SDK-method calls with a key-shaped literal): ${unknownInCorpus}`,
  );
  console.log(
    `size: typescript.js ${(statSync(join(ROOT, 'node_modules/typescript/lib/typescript.js')).size / 1_048_576).toFixed(1)} MiB, which a parser-based scan would add to the CLI image`,
  );
} finally {
  if (!argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  else console.log(`kept ${dir}`);
}
