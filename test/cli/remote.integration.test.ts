// `lxd-api remote` end to end: the built binary on a machine with no client
// configuration, against the sandbox's real servers.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { lxdApi } from '../helpers/cli.js';
import { freshMachine } from '../helpers/enrol.js';
import { sandboxServers } from '../helpers/sandbox.js';
import { alterToken, makeToken, removeTestTrust } from '../helpers/trust.js';

const servers = sandboxServers();
const [lxd, incus] = servers as [(typeof servers)[0], (typeof servers)[0]];

after(async () => {
  for (const server of servers) await removeTestTrust(server);
});

describe('lxd-api remote', () => {
  test('adds, lists, switches, uses and removes remotes of both', async () => {
    const machine = freshMachine();
    const run = (args: string[]) => lxdApi(args, { env: machine.options.env });

    for (const [server, name] of [
      [lxd, 'prod'],
      [incus, 'lab'],
    ] as const) {
      const { token } = await makeToken(server);
      const add = await run(['remote', 'add', name, token, '--project', server.project]);
      assert.equal(add.code, 0, add.stderr);
      assert.match(
        add.stdout,
        new RegExp(
          `^Added remote ${name} to ~/${server.client}/config\\.yml: ` +
            `https://${server.httpsAddress}, ${server.title} \\S+, ` +
            `project ${server.project}\\.$`,
          'm',
        ),
      );
      assert.match(add.stderr, /pinned the server certificate [0-9a-f]{64}/);
      // The first remote makes the certificate, the second presents the same one.
      assert.equal(/made a client certificate/.test(add.stderr), server === lxd);
    }

    const list = await run(['remote', 'list']);
    assert.equal(list.code, 0);
    assert.match(
      list.stdout,
      /^REMOTE\s+ADDRESS\s+PROTOCOL\s+PROJECT\s+DEFAULT\s+CONFIG$/m,
    );
    assert.match(
      list.stdout,
      /^prod\s+https:\/\/127\.0\.0\.1:8443\s+lxd\s+lxd-api-sandbox\s+~\/lxc\//m,
    );
    assert.match(
      list.stdout,
      /^lab\s+https:\/\/127\.0\.0\.1:8444\s+incus\s+lxd-api-sandbox\s+~\/incus\//m,
    );
    assert.match(
      list.stdout,
      /^local\s+unix:\/\/\s+lxd\s+default\s+yes\s+built into lxc$/m,
    );

    assert.equal((await run(['remote', 'get-default'])).stdout, 'local\n');
    const switched = await run(['remote', 'switch', 'prod']);
    assert.equal(switched.code, 0, switched.stderr);
    assert.equal((await run(['remote', 'get-default'])).stdout, 'prod\n');
    assert.equal((await run(['remote', 'get-default', '--incus'])).stdout, 'local\n');

    // A bare instance goes to the default remote, and a remote name to its config.
    const exec = await run(['exec', 'web-1', 'lab:web-2', '--', 'hostname']);
    assert.equal(exec.code, 0, exec.stderr);
    assert.deepEqual(exec.stdout.trim().split('\n').sort(), [
      'lab:web-2 | web-2',
      'prod:web-1 | web-1',
    ]);

    const busy = await run(['remote', 'remove', 'prod']);
    assert.equal(busy.code, 2);
    assert.match(busy.stderr, /is the default remote/);
    assert.equal((await run(['remote', 'switch', 'local', '--lxd'])).code, 0);
    const removed = await run(['remote', 'remove', 'prod']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, /^Removed remote prod and its pinned certificate/);
    assert.doesNotMatch((await run(['remote', 'list', '--lxd'])).stdout, /^prod\s/m);
  });

  test('exits 2 for what the user can fix, 1 when unreachable', async () => {
    const machine = freshMachine();
    const run = (args: string[]) => lxdApi(args, { env: machine.options.env });
    const { token } = await makeToken(lxd);
    assert.equal((await run(['remote', 'add', 'one', token])).code, 0);

    const cases: [string[], number, RegExp][] = [
      [['remote', 'add', 'one', token], 2, /exists already in .*--force/],
      [['remote', 'add', 'two', token, '--lxd', '--incus'], 2, /give one/],
      [
        ['remote', 'add', 'two', alterToken(token, { addresses: [incus.httpsAddress] })],
        2,
        /presented certificate [0-9a-f]{64}, but the trust token names [0-9a-f]{64}/,
      ],
      [
        ['remote', 'add', 'two', alterToken(token, { addresses: ['127.0.0.1:1'] })],
        1,
        /Cannot reach .* https:\/\/127\.0\.0\.1:1 \(connection refused\)/,
      ],
      [
        ['remote', 'add', 'two', `https://${lxd.httpsAddress}`],
        2,
        /--accept-certificate [0-9a-f]{64}/,
      ],
      [['remote', 'switch', 'nowhere'], 2, /Remote `nowhere` is not configured/],
    ];
    for (const [args, code, message] of cases) {
      const result = await run(args);
      assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    }

    // Used already, by `one`, and sent from a machine the server does not trust.
    const other = freshMachine();
    const used = await lxdApi(['remote', 'add', 'again', token], {
      env: other.options.env,
    });
    assert.equal(used.code, 2);
    assert.match(used.stderr, /refused the trust token .* used already/);
  });
});
