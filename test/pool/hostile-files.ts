import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Flag files beside a generated repository that exercise every path a result can take through the
 * pool: schema and model findings, YAML hazards, bytes that are not UTF-8, and variant values JSON
 * cannot carry (infinity, NaN, -0), which must come back from a worker exactly.
 */
export function addHostileFiles(dir: string): string[] {
  const head = '# yaml-language-server: $schema=../schemas/flag.schema.json\n';
  const files: Record<string, string | Uint8Array> = {
    'flags/zz-schema-error.yaml': `${head}key: zz-schema-error\ndescription: x\nowner: "@acme/platform"\ntype: release\nexpires: 2026-12-01\nsurprise: 1\nenvironments: {}\n`,
    'flags/zz-wrong-key.yaml': `${head}key: another-key\ndescription: x\nowner: "@acme/platform"\ntype: operational\nreviewed: 2026-11-01\nenvironments:\n  production:\n    enabled: yes\n`,
    'flags/zz-alias.yaml': `${head}key: &k zz-alias\ndescription: *k\nowner: "@acme/platform"\ntype: operational\nenvironments: {}\n`,
    'flags/zz-duplicate.yaml': `${head}key: zz-duplicate\nkey: zz-duplicate\n`,
    'flags/zz-proto.yaml': `${head}key: zz-proto\n__proto__: {}\n`,
    'flags/zz-infinite.yaml': `${head}key: zz-infinite\ndescription: Limits with values JSON cannot hold.\nowner: "@acme/platform"\ntype: operational\nreviewed: 2026-11-01\nvariants:\n  unlimited: .inf\n  none: -.inf\n  zero: -0\n  odd: .nan\ndefaultVariant: zero\nenvironments:\n  production:\n    enabled: true\n    default: unlimited\n`,
    'flags/zz-not-utf8.yaml': Uint8Array.from([
      ...Buffer.from(`${head}key: zz-not-utf8\ndescription: caf`),
      0xe9,
      10,
    ]),
    'flags/zz-empty.yaml': '# nothing but a comment\n',
  };
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), content);
  return Object.keys(files);
}
