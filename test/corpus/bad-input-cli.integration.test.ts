// The bad-input corpus, at the command line: the built `lxd-api` refuses each case
// with exit code 2, one line on stderr that names the input, and no stack trace.
// Config cases use a client config folder the test writes; the rest use the
// sandbox's, and are refused before anything is sent.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';

import pLimit from 'p-limit';

import { makeCertPair } from '../helpers/certs.js';
import { lxdApi } from '../helpers/cli.js';
import { makeConfigFixture } from '../helpers/config-fixture.js';

const pair = makeCertPair('client');
const other = makeCertPair('other');
const file = resolve(import.meta.dirname, '../../package.json');

/** An LXD config folder whose remote `prod` has `fields`; its client pair by default. */
function configWith(fields: string, keyPem = pair.key): Record<string, string> {
  const fixture = makeConfigFixture();
  const config = `default-remote: prod\nremotes:\n  prod:\n${fields
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n')}\n`;
  fixture.write(join(fixture.lxdDir, 'config.yml'), config);
  fixture.write(join(fixture.lxdDir, 'client.crt'), pair.cert);
  fixture.write(join(fixture.lxdDir, 'client.key'), keyPem);
  mkdirSync(fixture.incusDir, { recursive: true });
  return { LXD_CONF: fixture.lxdDir, INCUS_CONF: fixture.incusDir };
}

const address = 'addr: https://127.0.0.1:9';
const cases: readonly {
  what: string;
  args: readonly string[];
  env?: Record<string, string>;
  mentions: RegExp;
}[] = [
  {
    what: 'invalid YAML',
    args: ['exec', 'prod:web-1', '--', 'true'],
    env: configWith(`${address}\n  : [`),
    mentions: /config\.yml/,
  },
  {
    what: 'a wrong type',
    args: ['exec', 'prod:web-1', '--', 'true'],
    env: configWith('addr: 42'),
    mentions: /remotes\.prod\.addr/,
  },
  {
    what: 'an unknown remote',
    args: ['exec', 'nope:web-1', '--', 'true'],
    env: configWith(address),
    mentions: /nope/,
  },
  {
    what: 'a key that does not match the certificate',
    args: ['exec', 'prod:web-1', '--', 'true'],
    env: configWith(address, other.key),
    mentions: /client\.key/,
  },
  {
    what: 'an http:// remote',
    args: ['exec', 'prod:web-1', '--', 'true'],
    env: configWith('addr: http://127.0.0.1:9'),
    mentions: /http:\/\/127\.0\.0\.1:9/,
  },
  {
    what: 'a simplestreams remote',
    args: ['exec', 'prod:web-1', '--', 'true'],
    env: configWith(`${address}\nprotocol: simplestreams`),
    mentions: /simplestreams/,
  },
  {
    what: 'oidc authentication',
    args: ['exec', 'prod:web-1', '--', 'true'],
    env: configWith(`${address}\nauth_type: oidc`),
    mentions: /oidc/,
  },
  { what: 'an empty host spec', args: ['exec', '', '--', 'true'], mentions: /empty/i },
  { what: 'the host spec `:`', args: ['exec', ':', '--', 'true'], mentions: /:/ },
  {
    what: 'the host spec `a:b:c`',
    args: ['exec', 'a:b:c', '--', 'true'],
    mentions: /a:b:c/,
  },
  {
    what: 'a very long host spec',
    args: ['exec', `lxd:${'x'.repeat(300)}`, '--', 'true'],
    mentions: /xxxxxxxx/,
  },
  {
    what: 'a unicode host spec',
    args: ['exec', 'lxd:wéb-1', '--', 'true'],
    mentions: /é/,
  },
  {
    what: 'a relative remote path to put',
    args: ['put', file, 'lxd:web-1', 'relative/x'],
    mentions: /relative\/x/,
  },
  {
    what: 'a relative remote path to get',
    args: ['get', 'lxd:web-1', 'etc/hostname', '/tmp'],
    mentions: /etc\/hostname/,
  },
  {
    what: 'a very long remote path',
    args: ['put', file, 'lxd:web-1', `/tmp/${'n'.repeat(300)}`],
    mentions: /255/,
  },
  {
    what: 'a mode that is not octal',
    args: ['put', '--mode', '9999', file, 'lxd:web-1', '/tmp/x'],
    mentions: /9999/,
  },
  {
    what: 'a negative timeout',
    args: ['exec', 'lxd:web-1', '--timeout=-5s', '--', 'true'],
    mentions: /-5s/,
  },
  {
    what: 'an env value without a name',
    args: ['exec', 'lxd:web-1', '--env', '=hunter2', '--', 'true'],
    mentions: /--env/,
  },
];

describe('the bad-input corpus, at the command line', () => {
  // Each case is a process of its own; a few at once keep the file short.
  const limit = pLimit(4);
  const runs = new Map(
    cases.map((each) => [
      each,
      limit(() => lxdApi(each.args, each.env ? { env: each.env } : {})),
    ]),
  );

  for (const each of cases) {
    it(`refuses ${each.what}: exit code 2, one line on stderr, no stack trace`, async () => {
      const { code, stdout, stderr } = await (runs.get(each) ?? assert.fail('no run'));
      const lines = stderr.split('\n').filter((line) => line.trim() !== '');
      assert.equal(code, 2, `${each.args.join(' ')}: ${stderr}`);
      assert.equal(lines.length, 1, `one line expected, got:\n${stderr}`);
      assert.match(lines[0] ?? '', each.mentions);
      assert.doesNotMatch(stderr, /\n\s+at |hunter2|PRIVATE KEY/);
      assert.equal(stdout, '');
    });
  }
});
