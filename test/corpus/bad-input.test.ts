// The bad-input corpus, at the library level: every case is refused before any
// request goes out, with a typed error (a subclass of LxdApiError with a stable
// code) whose message names the input and says what to do instead. Cases already
// covered one by one in test/config and test/host are gathered here as a table,
// with the ones that had no test (very long paths and specs, env names, modes
// written without 0o, a key that is a folder).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { resolveHost } from '../../src/config/resolve.js';
import { LxdApiError } from '../../src/errors.js';
import { buildArgv } from '../../src/host/command.js';
import type { Host } from '../../src/host/host.js';
import { mkdir } from '../../src/host/files.js';
import { putFile } from '../../src/host/put-file.js';
import { getFile } from '../../src/host/get-file.js';
import { run } from '../../src/host/run.js';
import { makeCertPair } from '../helpers/certs.js';
import { makeConfigFixture } from '../helpers/config-fixture.js';

/** One bad input: what it is, how it is used, and what the error must say. */
interface Case {
  readonly input: string;
  readonly attempt: () => unknown;
  readonly code: string;
  /** Parts the message must contain: the input, and the fix. */
  readonly mentions: readonly string[];
}

const pair = makeCertPair('client');
const other = makeCertPair('other');

/** Resolves `spec` against an LXD config folder holding `config.yml` and files. */
function resolveWith(config: string, files: (dir: string) => void = () => undefined) {
  const fixture = makeConfigFixture();
  fixture.write(join(fixture.lxdDir, 'config.yml'), config);
  files(fixture.lxdDir);
  return (spec: string) => () => resolveHost(spec, fixture.options());
}

const remote = (fields: string) =>
  `default-remote: prod\nremotes:\n  prod:\n${fields
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n')}\n`;
const withPair = (dir: string) => {
  mkdirSync(dir, { recursive: true });
  makeConfigFixture().writeClientPair(dir, pair);
};

// No request is sent for any case: the host is a stand-in that has no transport.
const host = { remote: { name: 'prod' }, name: 'web-1' } as unknown as Host;

const cases: readonly Case[] = [
  // Config folders.
  {
    input: 'invalid YAML',
    attempt: resolveWith('remotes: [\n  prod: {')('prod:web-1'),
    code: 'LXDAPI_CONFIG',
    mentions: ['config.yml', 'line'],
  },
  {
    input: 'a number where an address belongs',
    attempt: resolveWith(remote('addr: 42'))('prod:web-1'),
    code: 'LXDAPI_CONFIG',
    mentions: ['remotes.prod.addr', '42'],
  },
  {
    input: 'an unknown remote',
    attempt: resolveWith(remote('addr: https://10.0.0.5:8443'), withPair)('nope:web-1'),
    code: 'LXDAPI_CONFIG',
    mentions: ['nope', 'prod', 'lxc remote add'],
  },
  {
    input: 'a missing client.crt',
    attempt: resolveWith(remote('addr: https://10.0.0.5:8443'))('prod:web-1'),
    code: 'LXDAPI_CONFIG',
    mentions: ['client.crt', 'lxc remote add'],
  },
  {
    input: 'an unreadable client.key (a folder)',
    attempt: resolveWith(remote('addr: https://10.0.0.5:8443'), (dir) => {
      makeConfigFixture().write(join(dir, 'client.crt'), pair.cert);
      mkdirSync(join(dir, 'client.key'), { recursive: true });
    })('prod:web-1'),
    code: 'LXDAPI_CONFIG',
    mentions: ['client.key'],
  },
  {
    input: 'a key that does not match the certificate',
    attempt: resolveWith(remote('addr: https://10.0.0.5:8443'), (dir) => {
      const fixture = makeConfigFixture();
      fixture.write(join(dir, 'client.crt'), pair.cert);
      fixture.write(join(dir, 'client.key'), other.key);
    })('prod:web-1'),
    code: 'LXDAPI_CONFIG',
    mentions: ['client.key', 'client.crt'],
  },
  {
    input: 'an http:// remote',
    attempt: resolveWith(remote('addr: http://10.0.0.5:8443'), withPair)('prod:web-1'),
    code: 'LXDAPI_CONFIG',
    mentions: ['http://10.0.0.5:8443', 'https://'],
  },
  {
    input: 'a simplestreams remote',
    attempt: resolveWith(
      remote('addr: https://images.example\nprotocol: simplestreams'),
      withPair,
    )('prod:web-1'),
    code: 'LXDAPI_CONFIG',
    mentions: ['prod', 'simplestreams'],
  },
  {
    input: 'oidc authentication',
    attempt: resolveWith(
      remote('addr: https://10.0.0.5:8443\nauth_type: oidc'),
      withPair,
    )('prod:web-1'),
    code: 'LXDAPI_CONFIG',
    mentions: ['oidc', 'tls'],
  },
  // Host specs.
  ...[
    '',
    ':',
    'a:b:c',
    `prod:${'x'.repeat(300)}`,
    'prod:wéb-1',
    `${'r'.repeat(5000)}:web`,
  ].map((spec): Case => ({
    input: `the host spec ${JSON.stringify(spec.slice(0, 30))}`,
    attempt: resolveWith(remote('addr: https://10.0.0.5:8443'), withPair)(spec),
    code: spec.startsWith('rrr') ? 'LXDAPI_CONFIG' : 'LXDAPI_HOST_SPEC',
    mentions: [spec === '' ? 'empty' : spec.slice(0, 8)],
  })),
  // Remote paths.
  ...[
    ['relative/path', 'is relative', '/root/relative/path'],
    ['/tmp/a\0b', 'NUL', 'remove it'],
    [`/${'d/'.repeat(2100)}f`, 'bytes long', 'shorter'],
    [`/tmp/${'n'.repeat(300)}`, 'a name of 300 bytes', 'at most 255'],
  ].map(([path = '', ...mentions]): Case => ({
    input: `the remote path ${JSON.stringify(path.slice(0, 20))}`,
    attempt: () => putFile(host, Buffer.from('x'), path),
    code: 'LXDAPI_REMOTE_PATH',
    mentions,
  })),
  {
    input: 'a relative path to getFile',
    attempt: () => getFile(host, 'etc/passwd', '/tmp/x'),
    code: 'LXDAPI_REMOTE_PATH',
    mentions: ['"etc/passwd"', '/root/etc/passwd'],
  },
  // Commands.
  {
    input: 'an argv with a NUL byte',
    attempt: () => buildArgv(['echo', 'a\0b']),
    code: 'LXDAPI_COMMAND_INPUT',
    mentions: ['NUL'],
  },
  {
    input: 'an empty argv',
    attempt: () => buildArgv([]),
    code: 'LXDAPI_COMMAND_INPUT',
    mentions: ['empty'],
  },
  // Option values.
  ...[-1, 0, Number.NaN, Number.POSITIVE_INFINITY].map((timeout): Case => ({
    input: `timeout ${timeout}`,
    attempt: () => run(host, 'true', { timeout }),
    code: 'LXDAPI_COMMAND_INPUT',
    mentions: [`timeout must be a positive number`, String(timeout)],
  })),
  {
    input: 'an env name with `=`',
    attempt: () => run(host, 'true', { env: { 'A=B': 'secret-value' } }),
    code: 'LXDAPI_COMMAND_INPUT',
    mentions: ['"A=B"', 'rename it'],
  },
  {
    input: 'an env value with a NUL byte',
    attempt: () => run(host, 'true', { env: { TOKEN: 'sec\0ret' } }),
    code: 'LXDAPI_COMMAND_INPUT',
    mentions: ['env.TOKEN', 'not shown'],
  },
  {
    input: 'a negative uid',
    attempt: () => run(host, 'true', { user: -1 }),
    code: 'LXDAPI_COMMAND_INPUT',
    mentions: ['user must be a uid', '-1'],
  },
  ...[644, 755, 600, 777].map((mode): Case => ({
    input: `mode ${mode} written without 0o`,
    attempt: () => putFile(host, Buffer.from('x'), '/tmp/x', { mode }),
    code: 'LXDAPI_FILE_OPTION',
    mentions: [`mode ${mode}`, `0o${mode.toString(8)}`, `Write 0o${mode}`],
  })),
  {
    input: 'mode 644 to mkdir',
    attempt: () => mkdir(host, '/tmp/d', { mode: 644 }),
    code: 'LXDAPI_FILE_OPTION',
    mentions: ['mode 644', 'Write 0o644'],
  },
  {
    input: 'mode 0o10000',
    attempt: () => putFile(host, Buffer.from('x'), '/tmp/x', { mode: 0o10000 }),
    code: 'LXDAPI_FILE_OPTION',
    mentions: ['mode 4096', '0o7777'],
  },
];

describe('the bad-input corpus, at the library level', () => {
  for (const each of cases) {
    it(`refuses ${each.input} with ${each.code}, naming the input and the fix`, async () => {
      let thrown: unknown;
      try {
        await each.attempt();
      } catch (error) {
        thrown = error;
      }
      assert.ok(
        thrown instanceof LxdApiError,
        `expected an LxdApiError, got ${String(thrown)}`,
      );
      assert.equal(thrown.code, each.code, thrown.message);
      for (const part of each.mentions) {
        assert.ok(
          thrown.message.includes(part),
          `expected ${JSON.stringify(part)} in: ${thrown.message}`,
        );
      }
      assert.doesNotMatch(
        thrown.message,
        /secret-value|sec\0ret/,
        'an env value was shown',
      );
    });
  }
});
