import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundledPackages } from './bundled.js';
import { thirdPartyLicenses } from './licenses.js';
import { cycloneDx } from './sbom.js';

/** The image's file that lists esbuild's inputs (scripts/image.ts): for the SBOM, not shipped. */
const IMAGE_INPUTS_FILE = 'esbuild-inputs.json';

export interface RootManifest {
  name: string;
  version: string;
  description: string;
  license: string;
  engines: { node: string };
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/**
 * Lays out the toolkit package (`flags-as-code`, the `flags` command) in `out`: the binary, the CLI
 * image with its code cache, the JSON Schemas, the README, the licence texts of the bundled
 * packages and their SBOM. The layout is the repository's own (bin/, build/image/, schemas/), so the
 * binary and the image find each other and the package.json as they do here.
 *
 * Every library is bundled into the image, so the package has no dependencies: installing it adds
 * one folder and fetches nothing else, and no library's engine range can disagree with Node 20.19.
 */
export function stageToolkit(root: string, out: string): { bundled: number } {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as RootManifest;
  const image = join(root, 'build', 'image');
  const inputs = Object.keys(JSON.parse(readFileSync(join(image, IMAGE_INPUTS_FILE), 'utf8')));
  const packages = bundledPackages(root, inputs);

  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'build', 'image'), { recursive: true });
  cpSync(join(root, 'bin', 'flags.cjs'), join(out, 'bin', 'flags.cjs'));
  for (const file of readdirSync(image))
    if (file !== IMAGE_INPUTS_FILE) cpSync(join(image, file), join(out, 'build', 'image', file));
  cpSync(join(root, 'schemas'), join(out, 'schemas'), { recursive: true });
  cpSync(join(root, 'README.md'), join(out, 'README.md'));
  // The workflows flags init writes use the action of the installed toolkit (./node_modules/flags-as-code).
  cpSync(join(root, 'action.yml'), join(out, 'action.yml'));
  writeFileSync(join(out, 'THIRD-PARTY-LICENSES.txt'), thirdPartyLicenses(root, packages));
  const product = { ...manifest, dependencies: Object.keys(manifest.dependencies) };
  writeFileSync(
    join(out, 'sbom.cdx.json'),
    `${JSON.stringify(cycloneDx(root, product, packages), null, 2)}\n`,
  );
  writeFileSync(join(out, 'package.json'), `${JSON.stringify(toolkitManifest(manifest), null, 2)}\n`);
  return { bundled: packages.length };
}

export function toolkitManifest(root: RootManifest): object {
  return {
    name: root.name,
    version: root.version,
    description: root.description,
    license: root.license,
    engines: root.engines,
    bin: root.bin,
    // What `npm install` may unpack; the folder holds nothing else, this keeps it so.
    files: ['bin/', 'build/image/', 'schemas/', 'action.yml', 'THIRD-PARTY-LICENSES.txt', 'sbom.cdx.json'],
  };
}
