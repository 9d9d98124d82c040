import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { defaultSocketPath } from '../../src/config/unix-socket.js';

// Which paths "exist" on the pretend machine.
function machine(...paths: string[]): (path: string) => boolean {
  const present = new Set(paths);
  return (path) => present.has(path);
}

describe('defaultSocketPath for LXD', () => {
  it('uses $LXD_SOCKET first', () => {
    const env = { LXD_SOCKET: '/tmp/l.sock', LXD_DIR: '/srv/lxd' };
    assert.equal(defaultSocketPath('lxd', { env, pathExists: machine() }), '/tmp/l.sock');
  });

  it('uses $LXD_DIR/unix.socket next', () => {
    const env = { LXD_DIR: '/srv/lxd' };
    const path = defaultSocketPath('lxd', { env, pathExists: machine() });
    assert.equal(path, '/srv/lxd/unix.socket');
  });

  it('ignores empty variables', () => {
    const env = { LXD_SOCKET: '', LXD_DIR: '' };
    const path = defaultSocketPath('lxd', { env, pathExists: machine() });
    assert.equal(path, '/var/lib/lxd/unix.socket');
  });

  it("uses the Debian package's socket when neither exists", () => {
    const path = defaultSocketPath('lxd', { env: {}, pathExists: machine() });
    assert.equal(path, '/var/lib/lxd/unix.socket');
  });

  it("uses the snap's socket when only it exists", () => {
    const pathExists = machine('/var/snap/lxd/common/lxd/unix.socket');
    const path = defaultSocketPath('lxd', { env: {}, pathExists });
    assert.equal(path, '/var/snap/lxd/common/lxd/unix.socket');
  });

  it("keeps the Debian package's socket when both exist", () => {
    const pathExists = machine(
      '/var/lib/lxd/unix.socket',
      '/var/snap/lxd/common/lxd/unix.socket',
    );
    const path = defaultSocketPath('lxd', { env: {}, pathExists });
    assert.equal(path, '/var/lib/lxd/unix.socket');
  });

  it('does not read the Incus variables', () => {
    const env = { INCUS_SOCKET: '/tmp/i.sock' };
    const path = defaultSocketPath('lxd', { env, pathExists: machine() });
    assert.equal(path, '/var/lib/lxd/unix.socket');
  });
});

describe('defaultSocketPath for Incus', () => {
  it('uses $INCUS_SOCKET first', () => {
    const env = { INCUS_SOCKET: '/tmp/i.sock', INCUS_DIR: '/srv/incus' };
    assert.equal(
      defaultSocketPath('incus', { env, pathExists: machine() }),
      '/tmp/i.sock',
    );
  });

  it('uses $INCUS_DIR/unix.socket next', () => {
    const env = { INCUS_DIR: '/srv/incus' };
    const path = defaultSocketPath('incus', { env, pathExists: machine() });
    assert.equal(path, '/srv/incus/unix.socket');
  });

  it('uses /run/incus/unix.socket when it exists', () => {
    const pathExists = machine('/run/incus/unix.socket', '/var/lib/incus/unix.socket');
    const path = defaultSocketPath('incus', { env: {}, pathExists });
    assert.equal(path, '/run/incus/unix.socket');
  });

  it('falls back on /var/lib/incus/unix.socket', () => {
    const path = defaultSocketPath('incus', { env: {}, pathExists: machine() });
    assert.equal(path, '/var/lib/incus/unix.socket');
  });
});
