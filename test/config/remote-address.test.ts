import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { Family } from '../../src/config/family.js';
import { parseRemoteAddress } from '../../src/config/remote-address.js';
import { ConfigError } from '../../src/errors.js';
import { assertMentions, catchError } from '../helpers/errors.js';

const source = {
  file: '/home/ann/.config/lxc/config.yml',
  field: 'remotes.prod.addr',
  display: '~/.config/lxc/config.yml',
};
const noSockets = { env: {}, pathExists: () => false };

function parse(addr: string, family: Family = 'lxd') {
  return parseRemoteAddress(addr, family, source, noSockets);
}

function addressError(addr: string, family: Family = 'lxd'): ConfigError {
  const error = catchError(() => parse(addr, family), ConfigError);
  assert.equal(error.code, 'LXDAPI_CONFIG');
  assert.equal(error.file, source.file);
  assert.equal(error.field, 'remotes.prod.addr');
  assertMentions(error.message, ['remotes.prod.addr', '~/.config/lxc/config.yml', addr]);
  return error;
}

describe('parseRemoteAddress', () => {
  describe('accepts', () => {
    it('a host and a port', () => {
      assert.deepEqual(parse('https://lxd.example.com:9443'), {
        kind: 'https',
        host: 'lxd.example.com',
        port: 9443,
        origin: 'https://lxd.example.com:9443',
      });
    });

    it('a host alone, on port 8443', () => {
      const address = parse('https://10.0.0.5');
      assert.deepEqual(address, {
        kind: 'https',
        host: '10.0.0.5',
        port: 8443,
        origin: 'https://10.0.0.5:8443',
      });
    });

    it('a trailing slash', () => {
      assert.equal(parse('https://h:8443/').kind, 'https');
    });

    it('an IPv6 address in brackets, keeping the brackets in the origin only', () => {
      assert.deepEqual(parse('https://[::1]:8444'), {
        kind: 'https',
        host: '::1',
        port: 8444,
        origin: 'https://[::1]:8444',
      });
      assert.deepEqual(parse('https://[FD42::1]'), {
        kind: 'https',
        host: 'fd42::1',
        port: 8443,
        origin: 'https://[fd42::1]:8443',
      });
    });

    it('port 443, which the origin leaves out', () => {
      const address = parse('https://lxd.example.com:443');
      assert.ok(address.kind === 'https');
      assert.equal(address.port, 443);
      assert.equal(address.origin, 'https://lxd.example.com');
    });

    it('capitals in the scheme and the host, lower-casing the host', () => {
      const address = parse('HTTPS://LXD.Example.com:8443');
      assert.ok(address.kind === 'https');
      assert.equal(address.host, 'lxd.example.com');
      assert.equal(address.origin, 'https://lxd.example.com:8443');
    });

    it('`unix://` as the default LXD socket', () => {
      const address = parseRemoteAddress('unix://', 'lxd', source, {
        env: { LXD_SOCKET: '/tmp/lxd.sock' },
      });
      assert.deepEqual(address, { kind: 'unix', socketPath: '/tmp/lxd.sock' });
    });

    it('`unix://` as the default Incus socket', () => {
      const address = parse('unix://', 'incus');
      assert.deepEqual(address, {
        kind: 'unix',
        socketPath: '/var/lib/incus/unix.socket',
      });
    });

    it('`unix:///path` as that socket', () => {
      assert.deepEqual(parse('unix:///srv/lxd/unix.socket'), {
        kind: 'unix',
        socketPath: '/srv/lxd/unix.socket',
      });
    });

    it('`unix:` and `unix:/path`, which lxc reads the same way', () => {
      assert.deepEqual(parse('unix:'), {
        kind: 'unix',
        socketPath: '/var/lib/lxd/unix.socket',
      });
      assert.deepEqual(parse('unix:/s.sock'), { kind: 'unix', socketPath: '/s.sock' });
    });
  });

  describe('refuses', () => {
    it('http, saying the server speaks HTTPS only and offering the https address', () => {
      const error = addressError('http://lxd.example.com:8443');
      assertMentions(error.message, [
        'LXD serves HTTPS only',
        '`https://lxd.example.com:8443`',
      ]);
    });

    it('http for Incus, naming Incus', () => {
      assertMentions(addressError('http://h', 'incus').message, [
        'Incus serves HTTPS only',
      ]);
    });

    it('another scheme, naming it', () => {
      const error = addressError('ftp://h');
      assertMentions(error.message, ['`ftp` is not served', '`https://<host>[:<port>]`']);
      assertMentions(error.message, ['`lxc remote add`']);
    });

    it('garbage, and says what an address looks like', () => {
      const error = addressError('not an address');
      assertMentions(error.message, ['it is not an address', '`unix://`']);
    });

    it('a host with no scheme', () => {
      assertMentions(addressError('lxd.example.com:8443').message, ['not an address']);
    });

    it('an empty host', () => {
      assertMentions(addressError('https://').message, ['it has no host']);
      assertMentions(addressError('https://:8443').message, ['it has no host']);
    });

    it('a host that is not a host name', () => {
      assertMentions(addressError('https://bad host').message, [
        '`bad host` is not a host name',
      ]);
      assertMentions(addressError('https://[zz]').message, ['`[zz]` is not a host name']);
    });

    it('a port out of range, or not a number, or empty', () => {
      assertMentions(addressError('https://h:0').message, ['`0` is not a port']);
      assertMentions(addressError('https://h:65536').message, ['`65536` is not a port']);
      assertMentions(addressError('https://h:http').message, ['`http` is not a port']);
      assertMentions(addressError('https://h:').message, ['`` is not a port']);
    });

    it('a path after the port, offering the address without it', () => {
      const error = addressError('https://h:8443/lxd');
      assertMentions(error.message, [
        '`/lxd` after the host and port',
        '`https://h:8443`',
      ]);
    });

    it('a user name, a query or a fragment', () => {
      assertMentions(addressError('https://me@h').message, ['`@h` after the host']);
      assertMentions(addressError('https://h?x=1').message, ['`?x=1` after the host']);
      assertMentions(addressError('https://h#top').message, ['`#top` after the host']);
    });

    it('a comma-separated list for LXD, which takes one address', () => {
      assertMentions(addressError('https://a,https://b').message, [
        'not a remote address',
      ]);
    });

    it('a relative socket path, offering an absolute one', () => {
      const error = addressError('unix://lxd.sock');
      assertMentions(error.message, [
        '`lxd.sock` is relative',
        '`unix:///absolute/path/to/',
      ]);
    });
  });
});
