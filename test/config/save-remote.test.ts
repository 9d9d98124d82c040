import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { loadClientConfig } from '../../src/config/client-config.js';
import { checkWritable, FileChanges } from '../../src/config/file-changes.js';
import {
  checkNewRemote,
  saveRemote,
  storeIdentity,
} from '../../src/config/save-remote.js';
import { ConfigError, RemoteExistsError } from '../../src/errors.js';
import { makeConfigFixture } from '../helpers/config-fixture.js';
import { assertMentions, catchError } from '../helpers/errors.js';
import { scratchDir } from '../helpers/scratch.js';

const remote = { addr: 'https://10.0.0.5:8443', protocol: 'lxd', project: 'web' };

describe('saveRemote', () => {
  it('writes a first config.yml and the pinned certificate as lxc would', () => {
    const fixture = makeConfigFixture();
    const config = loadClientConfig('lxd', fixture.options());
    saveRemote(config, { name: 'prod', remote, serverCertificate: 'PEM\n' });
    assert.equal(
      readFileSync(join(fixture.lxdDir, 'config.yml'), 'utf8'),
      'default-remote: local\nremotes:\n' +
        '  local:\n    addr: unix://\n    public: false\n' +
        '  prod:\n    addr: https://10.0.0.5:8443\n    auth_type: tls\n' +
        '    project: web\n    protocol: lxd\n    public: false\n' +
        'aliases: {}\n',
    );
    const pin = join(fixture.lxdDir, 'servercerts', 'prod.crt');
    assert.equal(readFileSync(pin, 'utf8'), 'PEM\n');
    assert.equal(statSync(fixture.lxdDir).mode & 0o777, 0o750);
    assert.deepEqual(readdirSync(fixture.lxdDir).sort(), ['config.yml', 'servercerts']);
  });

  it('inserts in name order, leaves the default project out, keeps the rest', () => {
    const fixture = makeConfigFixture();
    const text =
      'default-remote: b\nremotes:\n  a: {addr: "https://a:8443"} # kept\n' +
      '  c:\n    addr: https://c:8443\n    x: [1, 2]\naliases: {}\nextra: 1\n';
    const file = fixture.write(join(fixture.lxdDir, 'config.yml'), text);
    const config = loadClientConfig('lxd', fixture.options());
    saveRemote(config, {
      name: 'b',
      remote: { ...remote, project: '' },
      serverCertificate: undefined,
    });
    assert.equal(
      readFileSync(file, 'utf8'),
      'default-remote: b\nremotes:\n  a: {addr: "https://a:8443"} # kept\n' +
        '  b:\n    addr: https://10.0.0.5:8443\n    auth_type: tls\n' +
        '    protocol: lxd\n    public: false\n' +
        '  c:\n    addr: https://c:8443\n    x: [1, 2]\n' +
        'aliases: {}\nextra: 1\n',
    );
  });

  it('replaces a symlinked config.yml at its target, keeping the link', () => {
    const fixture = makeConfigFixture();
    const real = fixture.write(
      join(fixture.root, 'dotfiles', 'lxc.yml'),
      'remotes: {}\n',
    );
    mkdirSync(fixture.lxdDir, { recursive: true });
    const link = join(fixture.lxdDir, 'config.yml');
    symlinkSync(real, link);
    saveRemote(loadClientConfig('lxd', fixture.options()), {
      name: 'prod',
      remote,
      serverCertificate: undefined,
    });
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.match(readFileSync(real, 'utf8'), /^remotes:\n {2}prod:\n/);
  });
});

describe('checkNewRemote', () => {
  it('refuses a taken name, a built-in one and a bad one', () => {
    const fixture = makeConfigFixture();
    fixture.write(
      join(fixture.incusDir, 'config.yml'),
      'remotes:\n  prod:\n    addr: https://10.0.0.5:8443\n',
    );
    const config = loadClientConfig('incus', fixture.options());
    const check = (name: string, force: boolean) => () => {
      checkNewRemote(config, name, force);
    };
    const taken = catchError(check('prod', false), RemoteExistsError);
    assert.equal(taken.code, 'LXDAPI_REMOTE_EXISTS');
    assert.equal(taken.addr, 'https://10.0.0.5:8443');
    assert.equal(taken.field, 'remotes.prod');
    checkNewRemote(config, 'prod', true);

    const builtIn = catchError(check('local', true), ConfigError);
    assertMentions(builtIn.message, ['built into incus']);
    const bad = catchError(check('a/b', false), ConfigError);
    assertMentions(bad.message, ['`a/b`', 'choose another name']);
  });
});

describe('FileChanges', () => {
  it('puts back what it replaced when a later file cannot be put in place', () => {
    const dir = scratchDir('changes-');
    const first = join(dir, 'first');
    const locked = join(dir, 'locked');
    writeFileSync(first, 'old\n');
    mkdirSync(locked);
    const changes = new FileChanges();
    changes.write(first, 'new\n', 0o644);
    changes.write(join(locked, 'second'), 'new\n', 0o644);
    execFileSync('chattr', ['+i', locked]);
    try {
      const error = catchError(() => {
        changes.commit();
      }, ConfigError);
      assertMentions(error.message, [join(locked, 'second'), 'put back']);
    } finally {
      execFileSync('chattr', ['-i', locked]);
    }
    assert.equal(readFileSync(first, 'utf8'), 'old\n');
    assert.deepEqual(readdirSync(dir).sort(), ['first', 'locked']);
    // The staged copy could not be removed from the locked folder either, but the
    // file itself never appeared.
    assert.ok(!readdirSync(locked).includes('second'));
  });

  it('writes a key 0600 and keeps both files of a pair or neither', () => {
    const fixture = makeConfigFixture();
    const config = loadClientConfig('incus', fixture.options());
    storeIdentity(config, 'prod', { cert: 'C\n', key: 'K\n', as: 'remote' });
    const key = join(fixture.incusDir, 'clientcerts', 'prod.key');
    assert.equal(statSync(key).mode & 0o777, 0o600);
    assert.equal(
      readFileSync(join(fixture.incusDir, 'clientcerts', 'prod.crt'), 'utf8'),
      'C\n',
    );
  });
});

describe('checkWritable', () => {
  it('names the folder that refuses new files, even to root', () => {
    const dir = scratchDir('locked-');
    execFileSync('chattr', ['+i', dir]);
    try {
      const error = catchError(() => {
        checkWritable(join(dir, 'lxc'));
      }, ConfigError);
      assertMentions(error.message, [join(dir, 'lxc'), dir, 'EPERM', 'LXD_CONF']);
    } finally {
      execFileSync('chattr', ['-i', dir]);
    }
    const file = join(scratchDir('file-'), 'plain');
    writeFileSync(file, '');
    const under = catchError(() => {
      checkWritable(join(file, 'lxc'));
    }, ConfigError);
    assertMentions(under.message, ['ENOTDIR']);
  });
});
