// What a tree coming in from an instance may hold: the rules, and the unpacking
// that applies them to archives made to break out of their destination.
import assert from 'node:assert/strict';
import { lstat, readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';

import { Header, type types } from 'tar';

import { UnsafeTreeEntryError } from '../../src/host/file-errors.js';
import { extractTree } from '../../src/host/tree-extract.js';
import { unsafeEntry } from '../../src/host/tree-safety.js';
import { scratchDir } from '../helpers/scratch.js';

const context = { host: 'lxd:web-1', operation: 'getTree', path: '/srv/app' } as const;

describe('unsafeEntry', () => {
  test('lets through paths and links that stay inside', () => {
    const safe: [string, Parameters<typeof unsafeEntry>[1], string?][] = [
      ['./', 'directory'],
      ['a/b/c.txt', 'file'],
      ['./a/b/', 'directory'],
      ['a/link', 'symlink', 'b/c.txt'],
      ['a/b/link', 'symlink', '../../top.txt'],
      ['a/up', 'symlink', '..'],
      ['a/hard', 'hardlink', 'a/b/c.txt'],
      ['a/fifo', 'other'],
    ];
    for (const [path, kind, target] of safe) {
      assert.equal(
        unsafeEntry(path, kind, target),
        undefined,
        `${path} -> ${target ?? ''}`,
      );
    }
  });

  test('refuses paths that climb out, absolute paths, and links that point out', () => {
    const unsafe: [
      string,
      Parameters<typeof unsafeEntry>[1],
      string | undefined,
      RegExp,
    ][] = [
      ['../evil', 'file', undefined, /climbs out/],
      ['a/../../evil', 'file', undefined, /climbs out/],
      ['/etc/passwd', 'file', undefined, /absolute/],
      ['.', 'file', undefined, /destination folder itself/],
      ['link', 'symlink', '../outside', /links outside/],
      ['a/link', 'symlink', '../../outside', /links outside/],
      ['link', 'symlink', '/etc', /absolute/],
      ['link', 'symlink', 'a/../..', /down and back up/],
      ['link', 'symlink', '', /empty/],
      ['hard', 'hardlink', '../outside', /climbs out/],
      ['hard', 'hardlink', '/etc/shadow', /absolute/],
    ];
    for (const [path, kind, target, reason] of unsafe) {
      assert.match(
        unsafeEntry(path, kind, target) ?? 'allowed',
        reason,
        `${path} -> ${target ?? ''}`,
      );
    }
  });
});

describe('extractTree', () => {
  test('unpacks files, folders, symlinks and hard links with their modes', async () => {
    const folder = join(scratchDir('tree-'), 'out');
    const summary = await extractTree(
      archive([
        { path: './', type: 'Directory', mode: 0o750 },
        { path: './dir/', type: 'Directory', mode: 0o700 },
        { path: './dir/file', type: 'File', mode: 0o640, body: 'content' },
        { path: './dir/link', type: 'SymbolicLink', linkpath: 'file' },
        { path: './hard', type: 'Link', linkpath: './dir/file' },
        { path: './fifo', type: 'FIFO' },
        { path: './empty/', type: 'Directory', mode: 0o711 },
      ]),
      folder,
      context,
    );
    assert.deepEqual(summary, {
      files: 2,
      directories: 2,
      symlinks: 1,
      skipped: ['./fifo'],
    });
    assert.equal(await readFile(join(folder, 'dir/file'), 'utf8'), 'content');
    assert.equal((await stat(join(folder, 'dir/file'))).mode & 0o7777, 0o640);
    assert.equal((await stat(join(folder, 'dir'))).mode & 0o7777, 0o700);
    assert.equal((await stat(join(folder, 'empty'))).mode & 0o7777, 0o711);
    assert.equal(await readlink(join(folder, 'dir/link')), 'file');
    assert.equal((await stat(join(folder, 'hard'))).nlink, 2);
    assert.deepEqual((await readdir(folder)).sort(), ['dir', 'empty', 'hard']);
  });

  test('refuses crafted `..`, absolute and escaping entries', async () => {
    const crafted: Entry[][] = [
      [{ path: '../evil', type: 'File', body: 'x' }],
      [{ path: 'ok/../../evil', type: 'File', body: 'x' }],
      [{ path: '/evil', type: 'File', body: 'x' }],
      [{ path: 'evil', type: 'SymbolicLink', linkpath: '../../etc' }],
      [{ path: 'evil', type: 'SymbolicLink', linkpath: '/etc' }],
      [
        { path: 'inside', type: 'SymbolicLink', linkpath: '.' },
        { path: 'evil', type: 'SymbolicLink', linkpath: 'inside/..' },
      ],
      [{ path: 'evil', type: 'Link', linkpath: '../secret' }],
    ];
    for (const entries of crafted) {
      const parent = scratchDir('crafted-');
      const folder = join(parent, 'out');
      const error = await extractTree(archive(entries), folder, context).then(
        () => assert.fail(`${JSON.stringify(entries)} was unpacked`),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof UnsafeTreeEntryError, String(error));
      const last = entries.at(-1);
      assert.equal(error.code, 'LXDAPI_UNSAFE_TREE_ENTRY');
      assert.equal(error.entry, last?.path);
      assert.equal(error.linkTarget, last?.linkpath);
      assert.equal(error.destination, folder);
      assert.equal(error.host, 'lxd:web-1');
      assert.equal(error.path, '/srv/app');
      assert.deepEqual(
        await readdir(parent),
        ['out'],
        'nothing landed beside the folder',
      );
      await assert.rejects(lstat(join(folder, 'evil')));
    }
  });
});

interface Entry {
  readonly path: string;
  readonly type: types.EntryTypeName;
  readonly mode?: number;
  readonly linkpath?: string;
  readonly body?: string;
}

// A tar archive written header by header, so that it can say what no packer would.
function archive(entries: readonly Entry[]): Readable {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = Buffer.from(entry.body ?? '');
    const header = new Header({
      path: entry.path,
      type: entry.type,
      mode: entry.mode ?? (entry.type === 'Directory' ? 0o755 : 0o644),
      size: body.length,
      mtime: new Date(0),
      uid: 0,
      gid: 0,
      ...(entry.linkpath === undefined ? {} : { linkpath: entry.linkpath }),
    });
    const block = Buffer.alloc(512);
    header.encode(block, 0);
    blocks.push(block, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Readable.from([Buffer.concat(blocks)]);
}
