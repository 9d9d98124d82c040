import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { parseFileHeaders } from '../../src/api/file-headers.js';

describe('parseFileHeaders', () => {
  test('reads the LXD and the Incus header families alike', () => {
    const lxd = parseFileHeaders(
      {
        'x-lxd-type': 'file',
        'x-lxd-mode': '0640',
        'x-lxd-uid': '1000',
        'x-lxd-gid': '0',
        'x-lxd-modified': '2026-12-03 19:08:48 +0000 UTC',
        'content-length': '68',
      },
      200,
    );
    const incus = parseFileHeaders(
      {
        'x-incus-type': 'file',
        'x-incus-mode': '0640',
        'x-incus-uid': '1000',
        'x-incus-gid': '0',
        'x-incus-modified': '2026-12-03 19:08:48 +0000 UTC',
        'content-length': '68',
      },
      200,
    );
    const expected = {
      type: 'file',
      mode: 0o640,
      uid: 1000,
      gid: 0,
      size: 68,
      modified: new Date('2026-12-03T19:08:48Z'),
    };
    assert.deepEqual(lxd, expected);
    assert.deepEqual(incus, expected);
  });

  test('reads the size from Content-Range, also for an empty file', () => {
    const base = {
      'x-lxd-type': 'file',
      'x-lxd-mode': '0644',
      'x-lxd-uid': '0',
      'x-lxd-gid': '0',
    };
    const ranged = {
      ...base,
      'content-range': 'bytes 0-0/1048576',
      'content-length': '1',
    };
    assert.equal(parseFileHeaders(ranged, 206)?.size, 1_048_576);
    assert.equal(
      parseFileHeaders({ ...base, 'content-range': 'bytes 0--1/0' }, 206)?.size,
      0,
    );
    assert.equal(
      parseFileHeaders({ ...base, 'content-range': 'bytes */0' }, 416)?.size,
      0,
    );
  });

  test('gives a directory no size, and reads fractions and offsets of times', () => {
    const meta = parseFileHeaders(
      {
        'x-incus-type': 'directory',
        'x-incus-mode': '0755',
        'x-incus-uid': '0',
        'x-incus-gid': '0',
        'x-incus-modified': '2026-12-03 21:08:48.123456789 +0200 EET',
        'content-length': '135',
      },
      200,
    );
    assert.equal(meta?.size, undefined);
    assert.equal(meta?.modified?.toISOString(), '2026-12-03T19:08:48.123Z');
  });

  test('describes nothing when the headers are missing or broken', () => {
    assert.equal(
      parseFileHeaders({ 'content-type': 'application/json' }, 404),
      undefined,
    );
    const broken = {
      'x-lxd-type': 'file',
      'x-lxd-mode': 'rw',
      'x-lxd-uid': '0',
      'x-lxd-gid': '0',
    };
    assert.equal(parseFileHeaders(broken, 200), undefined);
    const socket = { ...broken, 'x-lxd-type': 'socket' };
    assert.equal(parseFileHeaders(socket, 200), undefined);
  });
});
