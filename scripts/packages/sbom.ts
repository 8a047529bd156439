import { createHash } from 'node:crypto';
import { type BundledPackage, resolveFrom } from './bundled.js';

/** The product the SBOM describes: the toolkit package itself. */
export interface Product {
  name: string;
  version: string;
  description: string;
  license: string;
  /** Its direct dependencies, by name (the development package.json's `dependencies`). */
  dependencies: string[];
}

/**
 * A CycloneDX 1.5 SBOM (JSON) of the packages bundled into the CLI image, with the dependency graph
 * among them. Written from esbuild's inputs rather than by `npm sbom` or cyclonedx-npm, which list
 * the installed tree: that tree holds packages the image does not (types, optional requires), and
 * `npm sbom --omit dev` drops bundled packages that development tools share (yaml, debug).
 * Deterministic: no timestamp, and the serial number is derived from the content.
 */
export function cycloneDx(root: string, product: Product, packages: readonly BundledPackage[]): object {
  const ref = (pkg: { name: string; version: string }) => `${pkg.name}@${pkg.version}`;
  const byPath = new Map(packages.map((pkg) => [pkg.path, pkg]));
  const dependsOn = (from: string, names: readonly string[]) =>
    names
      .map((name) => byPath.get(resolveFrom(root, from, name) ?? ''))
      .filter((pkg): pkg is BundledPackage => pkg !== undefined)
      .map(ref)
      .sort();
  const component = {
    type: 'application',
    'bom-ref': ref(product),
    name: product.name,
    version: product.version,
    description: product.description,
    licenses: [licence(product.license)],
    purl: purl(product),
  };
  const components = packages.map((pkg) => ({
    type: 'library',
    'bom-ref': ref(pkg),
    name: pkg.name,
    version: pkg.version,
    ...(pkg.author ? { author: pkg.author } : {}),
    ...(pkg.license ? { licenses: [licence(pkg.license)] } : {}),
    purl: purl(pkg),
    ...(pkg.integrity?.startsWith('sha512-')
      ? {
          hashes: [
            { alg: 'SHA-512', content: Buffer.from(pkg.integrity.slice(7), 'base64').toString('hex') },
          ],
        }
      : {}),
  }));
  const dependencies = [
    { ref: ref(product), dependsOn: dependsOn('.', product.dependencies) },
    ...packages.map((pkg) => ({ ref: ref(pkg), dependsOn: dependsOn(pkg.path, pkg.dependencies) })),
  ];
  const body = { metadata: { component }, components, dependencies };
  return {
    $schema: 'http://cyclonedx.org/schema/bom-1.5.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber: `urn:uuid:${uuidOf(JSON.stringify(body))}`,
    version: 1,
    ...body,
  };
}

/** pkg:npm/%40scope/name@version, as the purl specification writes npm packages. */
function purl(pkg: { name: string; version: string }): string {
  return `pkg:npm/${pkg.name.replace(/^@/, '%40')}@${pkg.version}`;
}

function licence(spdx: string): object {
  return /\s(OR|AND|WITH)\s|[()]/.test(spdx) ? { expression: spdx } : { license: { id: spdx } };
}

/** An RFC 9562 version 8 (custom) UUID from a SHA-256 of the text: the same SBOM, the same serial. */
function uuidOf(text: string): string {
  const hex = createHash('sha256').update(text).digest('hex').slice(0, 32).split('');
  hex[12] = '8';
  hex[16] = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}
