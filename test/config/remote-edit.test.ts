import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import {
  getDefaultRemote,
  listRemotes,
  removeRemote,
  switchRemote,
} from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import { makeConfigFixture } from '../helpers/config-fixture.js';
import { assertMentions, catchError } from '../helpers/errors.js';

// A config.yml as a user keeps it: comments, aliases, a field no client knows.
const userConfig = `# managed by hand
default-remote: prod
remotes:
  prod:
    addr: https://10.0.0.5:8443 # the rack
    auth_type: tls
    project: web
    protocol: lxd
    public: false
    future_field: kept
  staging:
    addr: https://10.0.0.6:8443
    protocol: lxd
    public: false
aliases:
  ll: list -c ns
`;

function setUp() {
  const fixture = makeConfigFixture();
  const file = fixture.write(join(fixture.lxdDir, 'config.yml'), userConfig);
  fixture.write(join(fixture.lxdDir, 'servercerts', 'staging.crt'), 'pinned\n');
  return { fixture, file, options: fixture.options() };
}

describe('listRemotes', () => {
  it('lists both configs with the defaults the clients fill in', () => {
    const { fixture, file, options } = setUp();
    const remotes = listRemotes(options);
    const prod = remotes.find((each) => each.name === 'prod');
    assert.deepEqual(prod, {
      name: 'prod',
      family: 'lxd',
      addr: 'https://10.0.0.5:8443',
      protocol: 'lxd',
      project: 'web',
      authType: 'tls',
      public: false,
      isDefault: true,
      source: 'user',
      configFile: file,
    });
    const incusLocal = remotes.find(
      (each) => each.family === 'incus' && each.name === 'local',
    );
    assert.ok(incusLocal !== undefined);
    assert.equal(incusLocal.isDefault, true);
    assert.equal(incusLocal.configFile, join(fixture.incusDir, 'config.yml'));
    assert.equal(listRemotes({ ...options, family: 'incus' }).length, 2);
  });
});

describe('switchRemote', () => {
  it('changes default-remote only, keeping comments, aliases and unknown fields', () => {
    const { file, options } = setUp();
    const switched = switchRemote('staging', options);
    assert.equal(switched.family, 'lxd');
    assert.equal(switched.overriddenBy, undefined);
    assert.equal(
      readFileSync(file, 'utf8'),
      userConfig.replace('default-remote: prod', 'default-remote: staging'),
    );
    assert.equal(getDefaultRemote(options).name, 'staging');
  });

  it('says when LXC_REMOTE overrides what it wrote', () => {
    const { fixture } = setUp();
    const options = fixture.options({ LXC_REMOTE: 'prod' });
    assert.equal(switchRemote('staging', options).overriddenBy, 'LXC_REMOTE');
    assert.deepEqual(getDefaultRemote(options), {
      name: 'prod',
      family: 'lxd',
      source: 'env',
      configFile: join(fixture.lxdDir, 'config.yml'),
    });
  });

  it('creates the file as the client would when there is none', () => {
    const fixture = makeConfigFixture();
    switchRemote('local', { ...fixture.options(), family: 'incus' });
    assert.equal(
      readFileSync(join(fixture.incusDir, 'config.yml'), 'utf8'),
      'default-remote: local\nremotes:\n  images:\n' +
        '    addr: https://images.linuxcontainers.org\n    protocol: simplestreams\n' +
        '    public: true\n  local:\n    addr: unix://\n    protocol: incus\n' +
        '    public: false\naliases: {}\n',
    );
  });

  it('refuses a name that neither or both configs have', () => {
    const { fixture, options } = setUp();
    const unknown = catchError(() => switchRemote('nowhere', options), ConfigError);
    assert.equal(unknown.field, 'remotes.nowhere');
    assertMentions(unknown.message, ['prod, staging in', 'lxd-api remote add']);

    fixture.write(
      join(fixture.incusDir, 'config.yml'),
      'remotes:\n  prod:\n    addr: https://10.0.0.9:8443\n',
    );
    const both = catchError(() => switchRemote('prod', options), ConfigError);
    assertMentions(both.message, ['in both', '--lxd or --incus']);
  });
});

describe('removeRemote', () => {
  it('removes the remote and its pinned certificate, and nothing else', () => {
    const { fixture, file, options } = setUp();
    const removed = removeRemote('staging', options);
    const pin = join(fixture.lxdDir, 'servercerts', 'staging.crt');
    assert.deepEqual(removed, {
      name: 'staging',
      family: 'lxd',
      configFile: file,
      serverCertificate: pin,
    });
    assert.equal(existsSync(pin), false);
    const left = userConfig.replace(/ {2}staging:\n(?: {4}.*\n)+/u, '');
    assert.equal(readFileSync(file, 'utf8'), left);
  });

  it('refuses the default remote, a built-in one and a system-wide one', () => {
    const { fixture, file, options } = setUp();
    fixture.write(
      join(fixture.lxdGlobalDir, 'config.yml'),
      'remotes:\n  shared:\n    addr: https://10.0.0.7:8443\n',
    );
    const cases: [string, string][] = [
      ['prod', 'is the default remote'],
      ['local', 'built into lxc'],
      ['shared', 'system-wide'],
    ];
    for (const [name, why] of cases) {
      const error = catchError(() => removeRemote(name, options), ConfigError);
      assertMentions(error.message, [why]);
    }
    assert.equal(readFileSync(file, 'utf8'), userConfig);
  });
});
