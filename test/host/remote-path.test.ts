import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { RemotePathError } from '../../src/host/file-errors.js';
import { checkRemotePath, pathLevels, tempSibling } from '../../src/host/remote-path.js';
import { catchError } from '../helpers/errors.js';

const context = { host: 'lxd:web-1', operation: 'putFile', path: 'given' } as const;

describe('checkRemotePath', () => {
  test('returns an absolute path normalized, without a trailing slash', () => {
    assert.equal(checkRemotePath('/etc/app.conf', context), '/etc/app.conf');
    assert.equal(checkRemotePath('//srv/./app/../www/', context), '/srv/www');
    assert.equal(checkRemotePath('/', context), '/');
    assert.equal(checkRemotePath('/a b/ünï %41%', context), '/a b/ünï %41%');
  });

  test('refuses a relative path, naming the value and an absolute one to give', () => {
    const error = catchError(
      () => checkRemotePath('etc/app.conf', context),
      RemotePathError,
    );
    assert.equal(error.code, 'LXDAPI_REMOTE_PATH');
    assert.equal(error.host, 'lxd:web-1');
    assert.equal(error.operation, 'putFile');
    assert.equal(error.path, 'given');
    assert.match(
      error.message,
      /"etc\/app\.conf".*is relative.*`\/root\/etc\/app\.conf`/,
    );
  });

  test('refuses an empty path, a path with a NUL byte, and what is not a string', () => {
    for (const value of ['', '/tmp/a\0b', undefined, 42]) {
      const error = catchError(() => checkRemotePath(value, context), RemotePathError);
      assert.match(error.message, /is not a path|NUL byte/);
    }
  });
});

describe('pathLevels', () => {
  test('lists every directory from the top down, the root left out', () => {
    assert.deepEqual(pathLevels('/a/b/c'), ['/a', '/a/b', '/a/b/c']);
    assert.deepEqual(pathLevels('/'), []);
  });
});

describe('tempSibling', () => {
  test('names a hidden file of ours in the same directory', () => {
    assert.equal(tempSibling('/etc/app.conf', 'abc'), '/etc/.app.conf.lxd-api-abc.tmp');
  });

  test('keeps the name under the length a file name may have', () => {
    const long = tempSibling(`/srv/${'x'.repeat(255)}`, 'abc');
    assert.ok(Buffer.byteLength(long.split('/').at(-1) ?? '') < 255);
  });
});
