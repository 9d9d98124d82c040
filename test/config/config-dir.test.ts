import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { displayPath, findConfigPaths } from '../../src/config/config-dir.js';
import { makeConfigFixture } from '../helpers/config-fixture.js';

describe('findConfigPaths for LXD', () => {
  it('uses ~/.config/lxc when nothing says otherwise', () => {
    const fixture = makeConfigFixture();
    const paths = findConfigPaths('lxd', { env: {}, home: fixture.home });
    assert.equal(paths.dir, join(fixture.home, '.config', 'lxc'));
    assert.equal(paths.file, join(fixture.home, '.config', 'lxc', 'config.yml'));
  });

  it('uses $LXD_CONF when it is set', () => {
    const fixture = makeConfigFixture();
    const dir = join(fixture.root, 'elsewhere');
    const paths = findConfigPaths('lxd', { env: { LXD_CONF: dir }, home: fixture.home });
    assert.equal(paths.dir, dir);
    assert.equal(paths.file, join(dir, 'config.yml'));
  });

  it('ignores an empty $LXD_CONF, as lxc does', () => {
    const fixture = makeConfigFixture();
    const paths = findConfigPaths('lxd', { env: { LXD_CONF: '' }, home: fixture.home });
    assert.equal(paths.dir, join(fixture.home, '.config', 'lxc'));
  });

  it("uses the snap's folder when it exists and ~/.config/lxc does not", () => {
    const fixture = makeConfigFixture();
    const snap = join(fixture.home, 'snap', 'lxd', 'common', 'config');
    mkdirSync(snap, { recursive: true });
    const paths = findConfigPaths('lxd', { env: {}, home: fixture.home });
    assert.equal(paths.dir, snap);
  });

  it("keeps ~/.config/lxc when both it and the snap's folder exist", () => {
    const fixture = makeConfigFixture();
    mkdirSync(join(fixture.home, 'snap', 'lxd', 'common', 'config'), { recursive: true });
    mkdirSync(fixture.lxdDir, { recursive: true });
    const paths = findConfigPaths('lxd', { env: {}, home: fixture.home });
    assert.equal(paths.dir, fixture.lxdDir);
  });

  it('prefers $LXD_CONF over the snap folder', () => {
    const fixture = makeConfigFixture();
    mkdirSync(join(fixture.home, 'snap', 'lxd', 'common', 'config'), { recursive: true });
    const paths = findConfigPaths('lxd', { env: { LXD_CONF: '/x' }, home: fixture.home });
    assert.equal(paths.dir, '/x');
  });

  it('takes $HOME from the env when no home is given', () => {
    const paths = findConfigPaths('lxd', { env: { HOME: '/home/ann' } });
    assert.equal(paths.dir, '/home/ann/.config/lxc');
  });

  it('reads the system-wide config.yml from /etc/lxd, a folder', () => {
    const paths = findConfigPaths('lxd', { env: {}, home: '/home/ann' });
    assert.equal(paths.globalDir, '/etc/lxd');
    assert.equal(paths.globalFile, '/etc/lxd/config.yml');
  });

  it('takes $LXD_GLOBAL_CONF as the system-wide folder', () => {
    const env = { LXD_GLOBAL_CONF: '/opt/lxd-conf' };
    const paths = findConfigPaths('lxd', { env, home: '/home/ann' });
    assert.equal(paths.globalDir, '/opt/lxd-conf');
    assert.equal(paths.globalFile, '/opt/lxd-conf/config.yml');
  });
});

describe('findConfigPaths for Incus', () => {
  it('uses ~/.config/incus when nothing says otherwise', () => {
    const fixture = makeConfigFixture();
    const paths = findConfigPaths('incus', { env: {}, home: fixture.home });
    assert.equal(paths.dir, fixture.incusDir);
    assert.equal(paths.file, join(fixture.incusDir, 'config.yml'));
  });

  it('uses $INCUS_CONF when it is set', () => {
    const env = { INCUS_CONF: '/srv/incus-conf' };
    const paths = findConfigPaths('incus', { env, home: '/home/ann' });
    assert.equal(paths.file, '/srv/incus-conf/config.yml');
  });

  it('does not read $LXD_CONF', () => {
    const env = { LXD_CONF: '/srv/lxd-conf' };
    const paths = findConfigPaths('incus', { env, home: '/home/ann' });
    assert.equal(paths.dir, '/home/ann/.config/incus');
  });

  it('uses $XDG_CONFIG_HOME/incus when that folder exists, as Incus 7 does', () => {
    const fixture = makeConfigFixture();
    const xdg = join(fixture.root, 'xdg');
    mkdirSync(join(xdg, 'incus'), { recursive: true });
    const paths = findConfigPaths('incus', {
      env: { XDG_CONFIG_HOME: xdg },
      home: fixture.home,
    });
    assert.equal(paths.dir, join(xdg, 'incus'));
  });

  it('keeps ~/.config/incus when $XDG_CONFIG_HOME/incus does not exist', () => {
    const fixture = makeConfigFixture();
    const env = { XDG_CONFIG_HOME: join(fixture.root, 'xdg') };
    const paths = findConfigPaths('incus', { env, home: fixture.home });
    assert.equal(paths.dir, fixture.incusDir);
  });

  it('ignores a relative $XDG_CONFIG_HOME, as Go does', () => {
    const fixture = makeConfigFixture();
    const options = { env: { XDG_CONFIG_HOME: 'xdg' }, home: fixture.home };
    const paths = findConfigPaths('incus', { ...options, pathExists: () => true });
    assert.equal(paths.dir, fixture.incusDir);
  });

  it('reads the system-wide config.yml from /etc/incus or $INCUS_GLOBAL_CONF', () => {
    const plain = findConfigPaths('incus', { env: {}, home: '/home/ann' });
    assert.equal(plain.globalFile, '/etc/incus/config.yml');
    const env = { INCUS_GLOBAL_CONF: '/opt/incus' };
    const set = findConfigPaths('incus', { env, home: '/home/ann' });
    assert.equal(set.globalDir, '/opt/incus');
  });
});

describe('displayPath', () => {
  it('writes a path under the home folder with `~`', () => {
    assert.equal(
      displayPath('/home/ann/.config/lxc/config.yml', '/home/ann'),
      '~/.config/lxc/config.yml',
    );
    assert.equal(displayPath('/home/ann/x', '/home/ann/'), '~/x');
  });

  it('leaves other paths alone, including a sibling that shares the prefix', () => {
    assert.equal(displayPath('/etc/lxd/config.yml', '/home/ann'), '/etc/lxd/config.yml');
    assert.equal(displayPath('/home/anna/x', '/home/ann'), '/home/anna/x');
  });

  it('leaves every path alone when the home folder is the root', () => {
    assert.equal(displayPath('/etc/lxd', '/'), '/etc/lxd');
  });
});
