// The local side of the file scenarios: files of random bytes (100 B, large ones)
// and trees of small files, made under the bench folder and reused when a run
// finds them the right size.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Where the file scenarios read from and write to, locally. */
export interface LocalFiles {
  /** Files by their size in bytes. */
  readonly files: ReadonlyMap<number, string>;
  /** Trees by their number of files. */
  readonly trees: ReadonlyMap<number, string>;
  /** An empty folder for what is fetched; emptied after each run. */
  readonly out: string;
}

const filesPerFolder = 100;

/** Makes (or finds) a file of each size in `fileSizes`, a tree of each count. */
export async function prepareLocalFiles(
  root: string,
  fileSizes: readonly number[],
  treeSizes: readonly number[],
): Promise<LocalFiles> {
  const dir = join(root, 'files');
  await mkdir(dir, { recursive: true });
  const files = new Map<number, string>();
  for (const bytes of fileSizes) {
    const file = join(dir, `random-${bytes}.bin`);
    if ((await sizeOf(file)) !== bytes) await writeRandom(file, bytes);
    files.set(bytes, file);
  }
  const trees = new Map<number, string>();
  for (const count of treeSizes) {
    const tree = join(dir, `tree-${count}`);
    if ((await countFiles(tree)) !== count) await writeTree(tree, count);
    trees.set(count, tree);
  }
  const out = join(dir, 'out');
  await rm(out, { recursive: true, force: true });
  await mkdir(out);
  return { files, trees, out };
}

/** Files below a folder, at any depth; 0 when it does not exist. */
export async function countFiles(folder: string): Promise<number> {
  try {
    const entries = await readdir(folder, { recursive: true, withFileTypes: true });
    return entries.filter((entry) => entry.isFile()).length;
  } catch {
    return 0;
  }
}

export async function sizeOf(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).size;
  } catch {
    return undefined;
  }
}

async function writeRandom(file: string, bytes: number): Promise<void> {
  const stream = createWriteStream(file);
  const chunk = 4 * 2 ** 20;
  for (let left = bytes; left > 0; left -= chunk) {
    if (!stream.write(randomBytes(Math.min(chunk, left)))) await once(stream, 'drain');
  }
  stream.end();
  await once(stream, 'finish');
}

// Folders of a hundred files each, of 100 to 2,000 random bytes: source code, say.
async function writeTree(tree: string, count: number): Promise<void> {
  await rm(tree, { recursive: true, force: true });
  for (let index = 0; index < count; index += 1) {
    const folder = join(tree, `dir-${Math.floor(index / filesPerFolder)}`);
    if (index % filesPerFolder === 0) await mkdir(folder, { recursive: true });
    const size = 100 + ((index * 7919) % 1900);
    await writeFile(join(folder, `file-${index}.txt`), randomBytes(size));
  }
}
