import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import { removeBuildFolder } from './build-folder.js';
import { writeMetadata, type ImageInfo } from './image-metadata.js';
import { say } from './log.js';
import { run } from './run.js';

/** The two tarballs of a split image, ready for `image import`. */
export interface ImageFiles {
  readonly metadata: string;
  readonly rootfs: string;
}

/**
 * Returns the split image cached in `dir`, or builds it: `fill` makes the root file
 * system in the empty folder `rootfs`, and may keep anything else in `work`. The
 * build runs in a folder of its own beside `dir`, and the finished image appears at
 * `dir` in one rename: a build that fails or is interrupted leaves no half-written
 * image.
 */
export async function cachedImage(
  dir: string,
  info: ImageInfo,
  fill: (rootfs: string, work: string) => Promise<void>,
): Promise<ImageFiles> {
  const files = imageFiles(dir);
  if (existsSync(files.metadata) && existsSync(files.rootfs)) {
    say('image', `reusing ${dir}`);
    return files;
  }

  const started = Date.now();
  await mkdir(dirname(dir), { recursive: true });
  await removeInterruptedBuilds(dir);
  const work = await mkdtemp(`${dir}.build-`);
  try {
    const rootfs = join(work, 'rootfs');
    await mkdir(rootfs);
    await fill(rootfs, work);

    const meta = join(work, 'meta');
    await mkdir(meta);
    const entries = await writeMetadata(meta, info);
    const image = join(work, 'image');
    const packed = imageFiles(image);
    await mkdir(image);
    // Numeric owners: uid 1000 stays 1000, whatever the host calls it.
    await run('tar', ['--numeric-owner', '-C', rootfs, '-cf', packed.rootfs, '.']);
    await run('tar', ['-C', meta, '-cf', packed.metadata, ...entries]);

    await rm(dir, { recursive: true, force: true });
    await rename(image, dir);
  } finally {
    await removeBuildFolder(work);
  }

  const size = (await stat(files.rootfs)).size / 2 ** 20;
  const seconds = (Date.now() - started) / 1000;
  say('image', `built ${dir} (${size.toFixed(0)} MiB) in ${seconds.toFixed(0)} s`);
  return files;
}

function imageFiles(dir: string): ImageFiles {
  return { metadata: join(dir, 'meta.tar'), rootfs: join(dir, 'rootfs.tar') };
}

// A run killed halfway (Ctrl-C) cannot clean up after itself; the next build does.
async function removeInterruptedBuilds(dir: string): Promise<void> {
  const prefix = `${basename(dir)}.build-`;
  for (const name of await readdir(dirname(dir))) {
    if (!name.startsWith(prefix)) continue;
    await removeBuildFolder(join(dirname(dir), name));
    say('image', `removed ${name}, left by an interrupted build`);
  }
}
