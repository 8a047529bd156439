import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BundledPackage } from './bundled.js';

const LICENCE_FILE = /^(licen[cs]e|copying|notice)(\.(md|txt|markdown))?$/i;

/**
 * THIRD-PARTY-LICENSES.txt of the toolkit package: the licence texts of every package bundled into
 * the CLI image, as each ships them. A package that ships no licence text is named with the licence
 * its package.json declares, and no text is made up for it.
 */
export function thirdPartyLicenses(root: string, packages: readonly BundledPackage[]): string {
  const sections = packages.map((pkg) => {
    const files = readdirSync(join(root, pkg.path))
      .filter((name) => LICENCE_FILE.test(name))
      .sort();
    const heading = `${pkg.name}@${pkg.version} (${pkg.license ?? 'no licence declared'})`;
    const texts = files.length
      ? files.map((name) => readFileSync(join(root, pkg.path, name), 'utf8').trimEnd())
      : [
          `The package ships no licence text; its package.json declares ${pkg.license ?? 'no licence'}` +
            (pkg.author ? ` (author: ${pkg.author}).` : '.'),
        ];
    return `${'='.repeat(78)}\n${heading}\n${'='.repeat(78)}\n\n${texts.join('\n\n')}\n`;
  });
  return (
    'The flags CLI image (build/image/) bundles the code of the packages below. Their licences follow,\n' +
    'as each package ships them. The same list, with versions and hashes, is in sbom.cdx.json.\n\n' +
    sections.join('\n')
  );
}
