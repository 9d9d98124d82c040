import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { parseHostSpec } from '../../src/config/host-spec.js';
import { resolveHost, resolveRemote } from '../../src/config/resolve.js';
import { ConfigError, HostSpecError } from '../../src/errors.js';
import { makeCertPair } from '../helpers/certs.js';
import { makeConfigFixture, type ConfigFixture } from '../helpers/config-fixture.js';
import { assertMentions, catchError } from '../helpers/errors.js';

const pair = makeCertPair('client');

const lxdFile = `default-remote: local
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
    protocol: lxd
    project: web
    public: false
  both:
    addr: https://both-lxd:8443
`;

const incusFile = `default-remote: dev
remotes:
  local:
    addr: unix://
    protocol: incus
  dev:
    addr: https://[fd42::2]
    protocol: incus
    keepalive: 30
  both:
    addr: https://both-incus:8443
  docker:
    addr: https://docker.io
    protocol: oci
    public: true
`;

interface Setup {
  lxd?: string;
  incus?: string;
}

function setUp(files: Setup): ConfigFixture {
  const fixture = makeConfigFixture();
  if (files.lxd !== undefined) {
    fixture.write(join(fixture.lxdDir, 'config.yml'), files.lxd);
    fixture.writeClientPair(fixture.lxdDir, pair);
  }
  if (files.incus !== undefined) {
    fixture.write(join(fixture.incusDir, 'config.yml'), files.incus);
    fixture.writeClientPair(fixture.incusDir, pair);
  }
  return fixture;
}

function configError(run: () => unknown): ConfigError {
  const error = catchError(run, ConfigError);
  assert.equal(error.code, 'LXDAPI_CONFIG');
  return error;
}

describe('resolveHost', () => {
  describe('with a family prefix', () => {
    it('resolves `@lxd_api/prod:web1` from the LXD config, with credentials', () => {
      const fixture = setUp({ lxd: lxdFile, incus: incusFile });
      const host = resolveHost('@lxd_api/prod:web1', fixture.options());
      assert.equal(host.instance, 'web1');
      assert.equal(host.project, 'web');
      assert.equal(host.remote.name, 'prod');
      assert.equal(host.remote.family, 'lxd');
      assert.equal(host.remote.configFile, join(fixture.lxdDir, 'config.yml'));
      assert.deepEqual(host.remote.address, {
        kind: 'https',
        host: '10.0.0.5',
        port: 8443,
        origin: 'https://10.0.0.5:8443',
      });
      assert.deepEqual(host.remote.addresses, [host.remote.address]);
      assert.equal(host.remote.credentials?.certificate.pem, pair.cert);
      assert.equal(host.remote.keepalive, undefined);
    });

    it("resolves `@incus_api/<instance>` to the Incus config's default remote", () => {
      const fixture = setUp({ lxd: lxdFile, incus: incusFile });
      const host = resolveHost('@incus_api/db1', fixture.options());
      assert.equal(host.remote.name, 'dev');
      assert.equal(host.remote.family, 'incus');
      assert.equal(host.remote.address.kind, 'https');
      assert.equal(host.remote.keepalive, 30);
      assert.equal(host.project, 'default');
    });

    it('resolves a unix remote without credentials', () => {
      const fixture = setUp({ lxd: lxdFile });
      const options = fixture.options({ LXD_SOCKET: '/tmp/lxd.sock' });
      const host = resolveHost('@lxd_api/local:c1', options);
      assert.deepEqual(host.remote.address, {
        kind: 'unix',
        socketPath: '/tmp/lxd.sock',
      });
      assert.equal(host.remote.credentials, undefined);
    });

    it('takes an already parsed host spec', () => {
      const fixture = setUp({ lxd: lxdFile });
      const host = resolveHost(parseHostSpec('@lxd_api/prod:web1'), fixture.options());
      assert.equal(host.remote.name, 'prod');
    });

    it('uses the built-in `local` when the config file does not exist', () => {
      const fixture = setUp({});
      const host = resolveHost('@incus_api/c1', fixture.options());
      assert.equal(host.remote.name, 'local');
      assert.deepEqual(host.remote.address, {
        kind: 'unix',
        socketPath: '/var/lib/incus/unix.socket',
      });
    });
  });

  describe('without a family prefix', () => {
    it('finds a remote that only the LXD config has', () => {
      const fixture = setUp({ lxd: lxdFile, incus: incusFile });
      assert.equal(resolveHost('prod:web1', fixture.options()).remote.family, 'lxd');
    });

    it('finds a remote that only the Incus config has', () => {
      const fixture = setUp({ lxd: lxdFile, incus: incusFile });
      const host = resolveHost('dev:db1', fixture.options());
      assert.equal(host.remote.family, 'incus');
      assert.equal(host.remote.name, 'dev');
    });

    it('refuses a remote that both configs have, offering both prefixes', () => {
      const fixture = setUp({ lxd: lxdFile, incus: incusFile });
      const error = catchError(
        () => resolveHost('both:web1', fixture.options()),
        HostSpecError,
      );
      assert.equal(error.code, 'LXDAPI_HOST_SPEC');
      assert.equal(error.spec, 'both:web1');
      assertMentions(error.message, [
        '`both:web1` is ambiguous',
        '~/.config/lxc/config.yml',
      ]);
      assertMentions(error.message, ['`@lxd_api/both:web1`', '`@incus_api/both:web1`']);
    });

    it('counts `local` as ambiguous when both clients have a config file', () => {
      const fixture = setUp({ lxd: lxdFile, incus: incusFile });
      catchError(() => resolveHost('local:c1', fixture.options()), HostSpecError);
    });

    it('takes `local` from the only client with a config file', () => {
      const fixture = setUp({ incus: incusFile });
      assert.equal(resolveHost('local:c1', fixture.options()).remote.family, 'incus');
    });

    it("sends a bare instance to LXD's default remote when its file exists", () => {
      const fixture = setUp({ lxd: lxdFile, incus: incusFile });
      const host = resolveHost('c1', fixture.options());
      assert.equal(host.remote.family, 'lxd');
      assert.equal(host.remote.name, 'local');
    });

    it('sends a bare instance to the Incus config when there is no LXD file', () => {
      const fixture = setUp({ incus: incusFile });
      const host = resolveHost('c1', fixture.options());
      assert.equal(host.remote.family, 'incus');
      assert.equal(host.remote.name, 'dev');
    });

    it('refuses a remote neither config has, naming both files', () => {
      const fixture = setUp({ lxd: lxdFile });
      const error = configError(() => resolveHost('nope:c1', fixture.options()));
      assert.equal(error.file, join(fixture.lxdDir, 'config.yml'));
      assert.equal(error.field, 'remotes.nope');
      assertMentions(error.message, [
        '`nope` is in neither ~/.config/lxc/config.yml',
        '~/.config/incus/config.yml (which does not exist)',
        '(known instance servers: both, local, prod for LXD, local for Incus)',
        '`lxc remote add nope <address>`',
        '`incus remote add nope <address>`',
      ]);
    });
  });

  describe('refuses', () => {
    it('an unknown remote, listing the known instance servers', () => {
      const fixture = setUp({ lxd: lxdFile });
      const error = configError(() =>
        resolveHost('@lxd_api/staging:web', fixture.options()),
      );
      assert.equal(error.file, join(fixture.lxdDir, 'config.yml'));
      assert.equal(error.field, 'remotes.staging');
      assertMentions(error.message, [
        'Remote `staging` is not in ~/.config/lxc/config.yml',
        '(known instance servers: both, local, prod)',
        '`lxc remote add staging <address>`',
      ]);
      assert.ok(!error.message.includes('images'), 'image servers are not listed');
    });

    it('an unknown remote, saying when config.yml does not exist', () => {
      const fixture = setUp({});
      const error = configError(() =>
        resolveHost('@lxd_api/prod:web', fixture.options()),
      );
      assert.equal(error.file, join(fixture.lxdDir, 'config.yml'));
      assert.equal(error.field, 'remotes.prod');
      assertMentions(error.message, [
        '~/.config/lxc/config.yml does not exist',
        '(known instance servers: local)',
        '`lxc remote add prod <address>`, which creates the file',
      ]);
    });

    it('an unknown remote, naming the system-wide file when there is one', () => {
      const fixture = setUp({ lxd: lxdFile });
      fixture.write(join(fixture.lxdGlobalDir, 'config.yml'), 'remotes: {}\n');
      const error = configError(() => resolveHost('@lxd_api/x:web', fixture.options()));
      assertMentions(error.message, [
        `is in neither ~/.config/lxc/config.yml nor ${fixture.lxdGlobalDir}/config.yml`,
      ]);
    });

    it('a default remote that default-remote names but the file lacks', () => {
      const fixture = setUp({ lxd: 'default-remote: gone\nremotes: {}\n' });
      const error = configError(() => resolveHost('@lxd_api/web', fixture.options()));
      assert.equal(error.field, 'default-remote');
      assert.equal(error.file, join(fixture.lxdDir, 'config.yml'));
      assertMentions(error.message, [
        'The default remote `gone`, the default-remote of ~/.config/lxc/config.yml',
        '`<remote>:<instance>`',
        '`lxc remote switch <remote>`',
      ]);
    });

    it('a default remote set by INCUS_REMOTE that the file lacks', () => {
      const fixture = setUp({ incus: incusFile });
      const options = fixture.options({ INCUS_REMOTE: 'gone' });
      const error = configError(() => resolveHost('@incus_api/web', options));
      assert.equal(error.field, 'default-remote');
      assertMentions(error.message, [
        '`gone`, set by INCUS_REMOTE',
        'set INCUS_REMOTE to',
      ]);
      assertMentions(error.message, ['(known instance servers: both, dev, local)']);
    });

    it('a default remote whose name would leave servercerts/', () => {
      const fixture = setUp({ lxd: 'default-remote: ../x\nremotes: {}\n' });
      const error = configError(() => resolveHost('@lxd_api/web', fixture.options()));
      assert.equal(error.field, 'remotes.../x');
      assertMentions(error.message, ['`../x`', 'contains `/`']);
    });

    it('a simplestreams remote, which is not an instance server', () => {
      const fixture = setUp({ lxd: lxdFile });
      const error = configError(() =>
        resolveHost('@lxd_api/images:c1', fixture.options()),
      );
      assert.equal(error.field, 'remotes.images.protocol');
      assertMentions(error.message, [
        'Remote `images`',
        'an image server (protocol simplestreams), not an instance server',
        '`lxc remote list`',
      ]);
    });

    it('an oci remote of Incus, which is not an instance server', () => {
      const fixture = setUp({ incus: incusFile });
      const error = configError(() => resolveHost('docker:c1', fixture.options()));
      assert.equal(error.file, join(fixture.incusDir, 'config.yml'));
      assert.equal(error.field, 'remotes.docker.protocol');
      assertMentions(error.message, ['(protocol oci)', 'not an instance server']);
    });

    it('a public remote with the instance protocol', () => {
      const text = 'remotes:\n  mirror:\n    addr: https://m\n    public: true\n';
      const fixture = setUp({ lxd: text });
      const error = configError(() =>
        resolveHost('@lxd_api/mirror:c1', fixture.options()),
      );
      assert.equal(error.field, 'remotes.mirror.public');
      assertMentions(error.message, ['is public (public: true)']);
    });

    it('a protocol the family does not know', () => {
      const text = 'remotes:\n  old:\n    addr: https://o\n    protocol: lxd\n';
      const fixture = setUp({ incus: text });
      const error = configError(() =>
        resolveHost('@incus_api/old:c1', fixture.options()),
      );
      assert.equal(error.field, 'remotes.old.protocol');
      assertMentions(error.message, ['protocol `lxd`, which Incus does not know']);
      assertMentions(error.message, ['`protocol: incus`']);
    });

    for (const authType of ['oidc', 'candid']) {
      it(`auth_type ${authType}, saying only tls is supported`, () => {
        const remote = `  sso:\n    addr: https://s\n    auth_type: ${authType}\n`;
        const text = `remotes:\n${remote}`;
        const fixture = setUp({ lxd: text });
        const error = configError(() =>
          resolveHost('@lxd_api/sso:c1', fixture.options()),
        );
        assert.equal(error.field, 'remotes.sso.auth_type');
        assertMentions(error.message, [`auth_type \`${authType}\``, 'does not support']);
        assertMentions(error.message, ['--auth-type=tls']);
      });
    }

    it('a remote with no addr', () => {
      const fixture = setUp({ lxd: 'remotes:\n  bare:\n    project: x\n' });
      const error = configError(() => resolveHost('@lxd_api/bare:c1', fixture.options()));
      assert.equal(error.field, 'remotes.bare.addr');
      assertMentions(error.message, ['`bare`', 'has no addr', '`addr: unix://`']);
    });

    it('a remote whose addr is not an address, naming the field', () => {
      const fixture = setUp({ lxd: 'remotes:\n  web:\n    addr: http://w:8443\n' });
      const error = configError(() => resolveHost('@lxd_api/web:c1', fixture.options()));
      assert.equal(error.field, 'remotes.web.addr');
      assert.equal(error.file, join(fixture.lxdDir, 'config.yml'));
      assertMentions(error.message, ['`http://w:8443`', '`https://w:8443`']);
    });

    it('an https remote without client.crt, passing on the credentials error', () => {
      const fixture = makeConfigFixture();
      fixture.write(join(fixture.lxdDir, 'config.yml'), lxdFile);
      const error = configError(() =>
        resolveHost('@lxd_api/prod:web', fixture.options()),
      );
      assert.equal(error.file, join(fixture.lxdDir, 'client.crt'));
    });
  });
});

describe('resolveRemote', () => {
  it('resolves a remote of the given family by name', () => {
    const fixture = setUp({ lxd: lxdFile, incus: incusFile });
    const remote = resolveRemote('incus', 'dev', fixture.options());
    assert.equal(remote.family, 'incus');
    assert.equal(remote.project, 'default');
    assert.deepEqual(remote.address, {
      kind: 'https',
      host: 'fd42::2',
      port: 8443,
      origin: 'https://[fd42::2]:8443',
    });
  });

  it('marks a system-wide remote with its own file', () => {
    const fixture = setUp({ lxd: lxdFile });
    const global = join(fixture.lxdGlobalDir, 'config.yml');
    fixture.write(global, 'remotes:\n  shared:\n    addr: https://s\n');
    assert.equal(resolveRemote('lxd', 'shared', fixture.options()).configFile, global);
  });

  it('lists every address of an Incus 7 remote, the last one that worked first', () => {
    const text =
      'remotes:\n  ha:\n    addr: https://a, https://b ,https://c\n' +
      '    last_working_address: https://b\n';
    const fixture = setUp({ incus: text });
    const remote = resolveRemote('incus', 'ha', fixture.options());
    const hosts = remote.addresses.map((address) =>
      address.kind === 'https' ? address.host : '',
    );
    assert.deepEqual(hosts, ['b', 'c', 'a']);
    assert.equal(remote.address, remote.addresses[0]);
  });

  it('refuses a remote name with a slash, which would leave servercerts/', () => {
    const fixture = setUp({ lxd: lxdFile });
    const error = configError(() => resolveRemote('lxd', '../prod', fixture.options()));
    assert.equal(error.field, 'remotes.../prod');
    assert.equal(error.file, join(fixture.lxdDir, 'config.yml'));
    assertMentions(error.message, ['`../prod`', 'contains `/`', '`lxc remote rename`']);
  });
});
