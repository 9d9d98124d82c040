import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { loadClientConfig } from '../../src/config/client-config.js';
import { ConfigError } from '../../src/errors.js';
import { makeConfigFixture, type ConfigFixture } from '../helpers/config-fixture.js';
import { assertMentions, catchError } from '../helpers/errors.js';

// What `lxc remote add` leaves behind, give or take the remotes.
const lxdFile = `default-remote: prod
remotes:
  images:
    addr: https://images.lxd.canonical.com
    protocol: simplestreams
    public: true
  local:
    addr: unix://
    public: false
  prod:
    addr: https://10.0.0.5:8443
    auth_type: tls
    project: web
    protocol: lxd
    public: false
aliases: {}
`;

function lxdConfig(fixture: ConfigFixture, text: string): string {
  return fixture.write(join(fixture.lxdDir, 'config.yml'), text);
}

function configError(fixture: ConfigFixture, family: 'lxd' | 'incus' = 'lxd') {
  const error = catchError(
    () => loadClientConfig(family, fixture.options()),
    ConfigError,
  );
  assert.equal(error.code, 'LXDAPI_CONFIG');
  return error;
}

describe('loadClientConfig', () => {
  describe('reads', () => {
    it('the remotes and the default remote of config.yml', () => {
      const fixture = makeConfigFixture();
      lxdConfig(fixture, lxdFile);
      const config = loadClientConfig('lxd', fixture.options());
      assert.equal(config.fileExists, true);
      assert.equal(config.defaultRemote, 'prod');
      assert.equal(config.defaultRemoteSource, 'file');
      assert.deepEqual(config.remotes.get('prod'), {
        name: 'prod',
        source: 'user',
        addr: 'https://10.0.0.5:8443',
        protocol: 'lxd',
        authType: 'tls',
        project: 'web',
        public: false,
        keepalive: undefined,
        lastWorkingAddress: undefined,
      });
    });

    it('an empty file as no remotes of its own and `local` as the default', () => {
      const fixture = makeConfigFixture();
      lxdConfig(fixture, '');
      const config = loadClientConfig('lxd', fixture.options());
      assert.equal(config.fileExists, true);
      assert.equal(config.defaultRemote, 'local');
      assert.equal(config.defaultRemoteSource, 'builtin');
      assert.equal(config.remotes.get('local')?.addr, 'unix://');
    });

    it('a missing protocol as lxd and a missing auth_type as tls', () => {
      const fixture = makeConfigFixture();
      lxdConfig(fixture, 'remotes:\n  prod:\n    addr: https://h\n');
      const prod = loadClientConfig('lxd', fixture.options()).remotes.get('prod');
      assert.ok(prod);
      assert.equal(prod.protocol, 'lxd');
      assert.equal(prod.authType, 'tls');
    });

    it('a missing protocol as incus in an Incus config, with keepalive', () => {
      const fixture = makeConfigFixture();
      const text = 'remotes:\n  dev:\n    addr: https://h\n    keepalive: 30\n';
      fixture.write(join(fixture.incusDir, 'config.yml'), text);
      const dev = loadClientConfig('incus', fixture.options()).remotes.get('dev');
      assert.ok(dev);
      assert.equal(dev.protocol, 'incus');
      assert.equal(dev.keepalive, 30);
    });

    it('empty fields as unset, as the clients do', () => {
      const fixture = makeConfigFixture();
      lxdConfig(
        fixture,
        'default-remote:\nremotes:\n  prod:\n    addr: https://h\n    project:\n',
      );
      const config = loadClientConfig('lxd', fixture.options());
      assert.equal(config.defaultRemote, 'local');
      assert.equal(config.remotes.get('prod')?.project, undefined);
    });

    it('fields it does not know, without complaint', () => {
      const fixture = makeConfigFixture();
      lxdConfig(
        fixture,
        'remotes:\n  prod:\n    addr: https://h\n    colour: blue\nfuture: 1\n',
      );
      assert.equal(
        loadClientConfig('lxd', fixture.options()).remotes.get('prod')?.addr,
        'https://h',
      );
    });
  });

  describe('without a config.yml', () => {
    it('knows the built-in `local` remote on the unix socket, as the default', () => {
      const fixture = makeConfigFixture();
      const config = loadClientConfig('lxd', fixture.options());
      assert.equal(config.fileExists, false);
      assert.equal(config.defaultRemote, 'local');
      assert.equal(config.remotes.get('local')?.addr, 'unix://');
      assert.equal(config.remotes.get('local')?.source, 'builtin');
      assert.equal(config.remotes.get('images')?.protocol, 'simplestreams');
    });

    it('knows the Incus built-ins for Incus', () => {
      const fixture = makeConfigFixture();
      const config = loadClientConfig('incus', fixture.options());
      assert.deepEqual([...config.remotes.keys()].sort(), ['images', 'local']);
      assert.equal(config.remotes.get('local')?.protocol, 'incus');
    });

    it('still takes the remotes of the system-wide file', () => {
      const fixture = makeConfigFixture();
      const text = 'remotes:\n  shared:\n    addr: https://shared.example.com\n';
      fixture.write(join(fixture.lxdGlobalDir, 'config.yml'), text);
      const config = loadClientConfig('lxd', fixture.options());
      assert.equal(config.remotes.get('shared')?.source, 'global');
    });
  });

  describe('merges', () => {
    it("the system-wide file's remotes that the user's file lacks", () => {
      const fixture = makeConfigFixture();
      lxdConfig(fixture, lxdFile);
      const global =
        'remotes:\n  prod:\n    addr: https://other\n  shared:\n    addr: https://s\n';
      fixture.write(join(fixture.lxdGlobalDir, 'config.yml'), global);
      const config = loadClientConfig('lxd', fixture.options());
      assert.equal(config.globalFileExists, true);
      assert.equal(config.remotes.get('prod')?.addr, 'https://10.0.0.5:8443');
      assert.equal(config.remotes.get('prod')?.source, 'user');
      assert.equal(config.remotes.get('shared')?.addr, 'https://s');
      assert.equal(config.remotes.get('shared')?.source, 'global');
    });

    it("lxc's fixed `local`, keeping only the project the file gives it", () => {
      const fixture = makeConfigFixture();
      lxdConfig(
        fixture,
        'remotes:\n  local:\n    addr: https://elsewhere\n    project: p1\n',
      );
      const local = loadClientConfig('lxd', fixture.options()).remotes.get('local');
      assert.ok(local);
      assert.equal(local.addr, 'unix://');
      assert.equal(local.project, 'p1');
      assert.equal(local.source, 'builtin');
    });

    it('nothing from a system-wide file it cannot read, as lxc does', () => {
      const fixture = makeConfigFixture();
      mkdirSync(join(fixture.lxdGlobalDir, 'config.yml'), { recursive: true });
      const config = loadClientConfig('lxd', fixture.options());
      assert.equal(config.globalFileExists, false);
    });

    it('LXC_REMOTE over default-remote', () => {
      const fixture = makeConfigFixture();
      lxdConfig(fixture, lxdFile);
      const config = loadClientConfig('lxd', fixture.options({ LXC_REMOTE: 'local' }));
      assert.equal(config.defaultRemote, 'local');
      assert.equal(config.defaultRemoteSource, 'env');
    });

    it('INCUS_REMOTE over default-remote for Incus only', () => {
      const fixture = makeConfigFixture();
      const options = fixture.options({ INCUS_REMOTE: 'dev' });
      assert.equal(loadClientConfig('incus', options).defaultRemote, 'dev');
      assert.equal(loadClientConfig('lxd', options).defaultRemote, 'local');
    });

    it('an empty LXC_REMOTE as unset', () => {
      const fixture = makeConfigFixture();
      lxdConfig(fixture, lxdFile);
      const config = loadClientConfig('lxd', fixture.options({ LXC_REMOTE: '' }));
      assert.equal(config.defaultRemote, 'prod');
    });
  });

  describe('refuses', () => {
    it('invalid YAML, with the line and column', () => {
      const fixture = makeConfigFixture();
      const file = lxdConfig(fixture, 'remotes:\n\tprod:\n    addr: https://h\n');
      const error = configError(fixture);
      assert.equal(error.file, file);
      assert.equal(error.field, undefined);
      assertMentions(error.message, [
        '~/.config/lxc/config.yml',
        'not valid YAML',
        'line 2:1',
      ]);
      assertMentions(error.message, ['Tabs are not allowed']);
      assertMentions(error.message, ['Fix the file by hand']);
    });

    it('a key written twice, as the clients do', () => {
      const fixture = makeConfigFixture();
      lxdConfig(fixture, 'remotes:\n  prod:\n    addr: https://a\n    addr: https://b\n');
      assertMentions(configError(fixture).message, ['not valid YAML at line 4:5']);
    });

    it('invalid YAML in the system-wide file, naming that file', () => {
      const fixture = makeConfigFixture();
      const file = fixture.write(
        join(fixture.lxdGlobalDir, 'config.yml'),
        'remotes: [\n',
      );
      const error = configError(fixture);
      assert.equal(error.file, file);
      assertMentions(error.message, [file, 'not valid YAML']);
    });

    it('a file that holds a list', () => {
      const fixture = makeConfigFixture();
      const file = lxdConfig(fixture, '- a\n- b\n');
      const error = configError(fixture);
      assert.equal(error.file, file);
      assertMentions(error.message, ['holds a list', '`default-remote`', '`remotes`']);
    });

    it('remotes written as a list, with the line', () => {
      const fixture = makeConfigFixture();
      const file = lxdConfig(fixture, 'remotes:\n  - prod\n');
      const error = configError(fixture);
      assert.equal(error.file, file);
      assert.equal(error.field, 'remotes');
      assertMentions(error.message, ['remotes in ~/.config/lxc/config.yml (line 2:3)']);
      assertMentions(error.message, ['is a list', 'a mapping of names to fields']);
    });

    it('a remote that is a string', () => {
      const fixture = makeConfigFixture();
      lxdConfig(fixture, 'remotes:\n  prod: https://h\n');
      const error = configError(fixture);
      assert.equal(error.field, 'remotes.prod');
      assertMentions(error.message, ['the string `https://h`', 'a mapping']);
    });

    it('a number where a string belongs, telling how to quote it', () => {
      const fixture = makeConfigFixture();
      lxdConfig(fixture, 'remotes:\n  prod:\n    addr: https://h\n    project: 123\n');
      const error = configError(fixture);
      assert.equal(error.field, 'remotes.prod.project');
      assertMentions(error.message, [
        'remotes.prod.project',
        '(line 4:14)',
        'the number 123',
      ]);
      assertMentions(error.message, ['must be a string', '`project: "123"`']);
    });

    it('a string where a boolean belongs, giving both spellings', () => {
      const fixture = makeConfigFixture();
      lxdConfig(fixture, 'remotes:\n  prod:\n    addr: https://h\n    public: yes\n');
      const error = configError(fixture);
      assert.equal(error.field, 'remotes.prod.public');
      assertMentions(error.message, [
        'the string `yes`',
        '`public: true` or `public: false`',
      ]);
    });

    it('a default-remote that is a list', () => {
      const fixture = makeConfigFixture();
      lxdConfig(fixture, 'default-remote: [a, b]\n');
      const error = configError(fixture);
      assert.equal(error.field, 'default-remote');
      assertMentions(error.message, ['default-remote', 'is a list', 'must be a string']);
    });

    it('a negative or fractional Incus keepalive', () => {
      const fixture = makeConfigFixture();
      const file = join(fixture.incusDir, 'config.yml');
      fixture.write(file, 'remotes:\n  dev:\n    addr: https://h\n    keepalive: -1\n');
      const error = configError(fixture, 'incus');
      assert.equal(error.file, file);
      assert.equal(error.field, 'remotes.dev.keepalive');
      assertMentions(error.message, ['the number -1', 'whole number of seconds']);
    });

    it('a config.yml that cannot be read, saying to check it', () => {
      const fixture = makeConfigFixture();
      const file = join(fixture.lxdDir, 'config.yml');
      mkdirSync(file, { recursive: true });
      const error = configError(fixture);
      assert.equal(error.file, file);
      assertMentions(error.message, ['Cannot read ~/.config/lxc/config.yml', 'EISDIR']);
      assertMentions(error.message, ['permissions']);
    });
  });
});
