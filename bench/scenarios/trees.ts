// Trees of small files: ours with putTree and getTree, the client's with
// `file push -r` and `file pull -r`; each run writes a new tree, then it goes.
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';

import type { Measurement } from '../results.js';
import { clientCommand } from './client-command.js';
import { remoteBase, type FileBench } from './file-bench.js';

/** Put and get of each tree size, ours then the client's. */
export async function measureTrees(
  bench: FileBench,
  ourSizes: readonly number[],
  clientSizes: readonly number[],
  runs: number,
): Promise<Measurement[]> {
  const measured: Measurement[] = [];
  for (const count of ourSizes) measured.push(...(await ourTree(bench, count, runs)));
  for (const count of clientSizes) {
    measured.push(...(await clientTree(bench, count, runs)));
  }
  return measured;
}

async function ourTree(
  bench: FileBench,
  count: number,
  runs: number,
): Promise<Measurement[]> {
  const { host } = bench;
  const tree = bench.tree(count);
  const remote = `${remoteBase}/tree-${count}`;
  const target = join(bench.local.out, `tree-${count}`);
  const removeRemote = () => host.remove(remote, { recursive: true, force: true });
  let transfer = '';
  const put = await bench.ours('put-tree', { files: count }, runs, {
    run: async () => {
      ({ transfer } = await host.putTree(tree, remote));
    },
    after: removeRemote,
  });

  await host.putTree(tree, remote);
  const get = await bench.ours('get-tree', { files: count }, runs, {
    run: async () => {
      await host.getTree(remote, target);
    },
    after: () => bench.checkTree(target, count),
  });
  await removeRemote();
  return [put, get].map((each) => ({ ...each, note: `by ${transfer}` }));
}

async function clientTree(
  bench: FileBench,
  count: number,
  runs: number,
): Promise<Measurement[]> {
  const tree = bench.tree(count);
  // `push -r DIR into/` makes into/DIR, as `pull -r into/DIR out/` makes out/DIR.
  const into = `${remoteBase}/client-${count}`;
  const target = join(bench.local.out, `client-${count}`);
  const removeRemote = () => bench.host.remove(into, { recursive: true, force: true });
  const push = clientCommand(bench.rig, [
    'file',
    'push',
    '--quiet',
    '-r',
    '-p',
    tree,
    `${bench.instancePath}${into}/`,
  ]);
  const put = await bench.client('put-tree', { files: count }, runs, {
    run: push,
    after: removeRemote,
  });

  await push();
  const pull = clientCommand(bench.rig, [
    'file',
    'pull',
    '--quiet',
    '-r',
    `${bench.instancePath}${into}/${basename(tree)}`,
    `${target}/`,
  ]);
  const get = await bench.client('get-tree', { files: count }, runs, {
    before: () => mkdir(target, { recursive: true }),
    run: pull,
    after: () => bench.checkTree(join(target, basename(tree)), count, target),
  });
  await removeRemote();
  return [put, get];
}
