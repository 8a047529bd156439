import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stageRuntime } from './runtime.js';
import { stageToolkit } from './toolkit.js';

/**
 * `npm run pack`: the two packages of this repository, laid out in build/packages/<folder>/ (which
 * `npm publish` takes as they are) and packed as tarballs into build/packages/, the same version as
 * package.json. It takes what `npm run build` made: the CLI image and tsc's declarations.
 *
 * The repository's own package.json stays the development package, marked private: publishing it
 * would ship sources and tests instead of the image, so npm refuses it, and only these folders go out.
 */

export interface Packed {
  name: string;
  folder: string;
  tarball: string;
  /** Bytes of the tarball, and of its files unpacked, as `npm pack` reports them. */
  size: number;
  unpackedSize: number;
  files: number;
}

export async function packAll(root: string): Promise<Packed[]> {
  const out = join(root, 'build', 'packages');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const toolkit = join(out, 'flags-as-code');
  const runtime = join(out, 'runtime');
  stageToolkit(root, toolkit);
  await stageRuntime(root, join(root, 'build', 'scripts', 'runtime'), runtime);
  return [toolkit, runtime].map((folder) => npmPack(folder, out));
}

function npmPack(folder: string, destination: string): Packed {
  const result = spawnSync(
    'npm',
    ['pack', '--json', '--ignore-scripts', '--pack-destination', destination, '--loglevel', 'error'],
    { cwd: folder, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`npm pack failed in ${folder}:\n${result.stderr}`);
  const [report] = JSON.parse(result.stdout) as {
    name: string;
    filename: string;
    size: number;
    unpackedSize: number;
    entryCount: number;
  }[];
  if (!report) throw new Error(`npm pack reported nothing in ${folder}`);
  return {
    name: report.name,
    folder,
    tarball: join(destination, report.filename),
    size: report.size,
    unpackedSize: report.unpackedSize,
    files: report.entryCount,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
  for (const packed of await packAll(root))
    console.log(
      `${packed.tarball}: ${packed.name}, ${packed.files} files, ${kb(packed.size)} packed, ${kb(packed.unpackedSize)} unpacked`,
    );
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} kB`;
}
