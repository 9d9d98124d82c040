// Session mode against the real LXD and Incus of the sandbox: what only a shell
// kept open can get wrong. Commands are isolated from each other, read no stdin
// they were not given, and do not see the late output of earlier commands'
// children; a session that breaks fails its command with a typed error and is
// replaced; sessions are bounded; nothing is left running after a disconnect.
// The general behaviour of `run` is in run.integration.test.ts, in both modes.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';

import { connect, type ConnectOptions } from '../../src/host/connect.js';
import type { Host } from '../../src/host/host.js';
import { RemoteRegistry } from '../../src/host/remote-registry.js';
import {
  SessionBrokenError,
  SessionUnavailableError,
} from '../../src/host/session/errors.js';
import { sandboxEnv, sandboxServers } from '../helpers/sandbox.js';
import { proxiedConfig } from '../helpers/proxied-config.js';
import { TurnCountingProxy } from '../helpers/turn-counting-proxy.js';

const env = sandboxEnv();

for (const server of sandboxServers()) {
  // An instance no other suite opens sessions on: the process listings below
  // look for every session process in it.
  const instance = server.instances[2] ?? '';

  describe(`session mode on ${server.title}`, () => {
    const remotes = new RemoteRegistry();
    let observer: Host;
    const open = (options: ConnectOptions = {}) =>
      connect(`${server.remotes.https}:${instance}`, {
        env,
        remotes,
        mode: 'session',
        ...options,
      });
    before(async () => {
      observer = await open({ mode: 'record' });
    });
    after(async () => {
      await observer.disconnect();
      await remotes.close();
    });

    /** What of sessions is still in the instance: processes and folders. */
    const leftovers = async () => {
      const listing = await observer.run(
        'grep -lsz LXD_API_SESSION= /proc/[0-9]*/environ; ls -d /tmp/.lxd-api-session-*',
        { reject: false },
      );
      return String(listing.stdout).split('\n').filter(Boolean);
    };

    test('runs each command in a subshell of its own: cd, exit and variables do not leak', async () => {
      const host = await open({ sessions: 1 });
      try {
        const home = (await observer.run('pwd')).stdout;
        const first = await host.run('cd /tmp; X=1; export Y=2; exit 5', {
          reject: false,
        });
        assert.equal(first.exitCode, 5);
        const second = await host.run('pwd; echo "[$X$Y]"');
        assert.equal(second.stdout, `${String(home)}\n[]`);
        assert.equal(second.operation, first.operation, 'both ran in one session');
        const argv = await host.run(['sh', '-c', 'echo "$0|$1"', 'a b', "c'd\ne"]);
        assert.equal(argv.stdout, "a b|c'd\ne");
      } finally {
        await host.disconnect();
      }
    });

    test("reads nothing from the session's input, and no command takes another's input", async () => {
      const host = await open({ sessions: 1 });
      try {
        const cat = await host.run('cat; read line; echo "[$line]"');
        assert.equal(cat.stdout, '[]');
        // Input that its command never reads must not be read as the next command.
        const unread = await host.run('true', { input: 'echo INJECTED\n' });
        assert.equal(unread.exitCode, 0);
        const next = await host.run('echo next; cat', { input: 'given\n' });
        assert.equal(next.stdout, 'next\ngiven');
        assert.equal(next.operation, cat.operation, 'all ran in one session');
      } finally {
        await host.disconnect();
      }
    });

    test("keeps what background children write after the end marker out of the next command's result", async () => {
      const host = await open({ sessions: 1 });
      try {
        const first = await host.run(
          '(sleep 0.3; echo late; echo late-err >&2) & ' +
            '(sleep 0.1; i=0; while [ $i -lt 12 ]; do echo spam; echo spam >&2; sleep 0.05; ' +
            'i=$((i+1)); done) & echo now',
        );
        assert.equal(first.stdout, 'now');
        const chunks: string[] = [];
        const second = await host.run('sleep 0.6; echo next', {
          onStdout: (chunk) => chunks.push(chunk.toString()),
          onStderr: (chunk) => chunks.push(chunk.toString()),
        });
        assert.equal(second.stdout, 'next');
        assert.equal(second.stderr, '');
        assert.deepEqual(chunks, ['next\n']);
        assert.equal(second.operation, first.operation, 'both ran in one session');
      } finally {
        await host.disconnect();
      }
    });

    test('runs commands at once in separate sessions, no more than the bound', async () => {
      const host = await open({ sessions: 2 });
      try {
        const results = await Promise.all(
          Array.from({ length: 6 }, (_, i) => host.run(`sleep 0.2; echo ${i}`)),
        );
        assert.deepEqual(
          results.map((result) => result.stdout),
          ['0', '1', '2', '3', '4', '5'],
        );
        const operations = new Set(results.map((result) => result.operation));
        assert.equal(operations.size, 2);
        assert.equal(host.sessions.opened, 2);
        // Another identity needs a session of its own.
        const app = await host.run(['id', '-u'], { user: 1000 });
        assert.equal(app.stdout, '1000');
        assert.ok(!operations.has(app.operation));
        assert.ok(host.sessions.size <= 2);
      } finally {
        await host.disconnect();
      }
    });

    test(
      'reads the next command of a session whose last output went into a full stream',
      { timeout: 60_000 },
      async () => {
        const host = await open({ sessions: 1 });
        try {
          // A stream that takes one small piece at a time, slowly: the session's
          // socket is paused while it is full, and the command ends before it drains.
          const slow = new Writable({
            highWaterMark: 1024,
            write(_chunk, _encoding, done) {
              setTimeout(done, 5);
            },
          });
          const first = await host.run('head -c 300000 /dev/zero', { stdout: slow });
          assert.equal(first.exitCode, 0);
          const next = await host.run('echo next');
          assert.equal(next.stdout, 'next');
          assert.equal(next.operation, first.operation);
        } finally {
          await host.disconnect();
        }
      },
    );

    test('a disconnect closes every session and leaves nothing running in the instance', async () => {
      const host = await open();
      await Promise.all(
        ['true', 'echo a', ['id', '-u']].map((command) => host.run(command)),
      );
      assert.ok(host.sessions.size >= 1);
      assert.ok((await leftovers()).length > 0, 'the sessions are seen while open');
      await host.disconnect();
      assert.deepEqual(await leftovers(), []);
    });

    test('a program that ends without a disconnect exits, over the unix socket too, and its session ends', async () => {
      // Idle sessions hold no reference on the event loop; the child's exit closes
      // their connections, and the server ends the shells.
      const script = join(import.meta.dirname, '../helpers/session-left-open.ts');
      const { execa } = await import('execa');
      const child = await execa(
        process.execPath,
        ['--import', 'tsx', script, `${server.remotes.unix}:${instance}`],
        { env: { ...process.env, ...env }, timeout: 20_000 },
      );
      const id = child.stdout.trim();
      assert.match(id, /^[0-9a-f]{16}$/, 'the child ran a command in a session');
      // The server kills the shell; the shell's folder goes with the next session.
      const host = await open();
      await host.run('true');
      await host.disconnect();
      assert.deepEqual(await leftovers(), []);
    });

    test('a command whose end marker never comes fails once killed, and the session is replaced', async () => {
      const host = await open({ sessions: 1 });
      try {
        const before = await host.run('true');
        // The command hides from the kill of its timeout: the marker never comes.
        const error = await host
          .run('env -u LXD_API_RUN sleep 30', { timeout: 300 })
          .then(
            () => assert.fail('a stuck command resolved'),
            (caught: unknown) => caught,
          );
        assert.ok(error instanceof SessionBrokenError, String(error));
        assert.equal(error.code, 'LXDAPI_SESSION_BROKEN');
        assert.equal(error.ran, 'yes');
        assert.equal(error.command, 'env -u LXD_API_RUN sleep 30');
        assert.match(error.reason, /end marker/);
        assert.match(error.message, /discarded/);

        const after = await host.run('echo fresh');
        assert.equal(after.stdout, 'fresh');
        assert.notEqual(after.operation, before.operation);
      } finally {
        await host.disconnect();
      }
      assert.deepEqual(await leftovers(), [], 'the stuck session was killed');
    });
  });

  describe(`session mode on ${server.title} through a faulty link`, () => {
    let proxy: TurnCountingProxy;
    let confDir: string;
    const remotes = new RemoteRegistry();
    let host: Host;
    before(async () => {
      proxy = await TurnCountingProxy.start(server.httpsAddress);
      confDir = await proxiedConfig(server, proxy.port);
      host = await connect(`${server.remotes.https}:${instance}`, {
        env: { ...env, [server.confVariable]: confDir },
        remotes,
        mode: 'session',
      });
    });
    after(async () => {
      await host.disconnect();
      await remotes.close();
      await proxy.close();
      await rm(confDir, { recursive: true, force: true });
    });

    test('a connection cut mid-command fails it once, saying it ran, and the next command gets a new session', async () => {
      const before = await host.run('true');
      const file = `/tmp/cut-${before.operation}`;
      let cut = false;
      const error = await host
        .run(`echo run >> ${file}; echo started; sleep 2; echo finished`, {
          onStdout: (chunk) => {
            if (!cut && chunk.toString().includes('started')) {
              cut = true;
              proxy.cut();
            }
          },
        })
        .then(
          () => assert.fail('a cut command resolved'),
          (caught: unknown) => caught,
        );
      assert.ok(error instanceof SessionBrokenError, String(error));
      assert.equal(error.code, 'LXDAPI_SESSION_BROKEN');
      assert.equal(error.ran, 'yes');
      assert.match(error.message, /it was running/);

      const after = await host.run(`cat ${file}; rm -f ${file}`);
      assert.equal(after.stdout, 'run', 'the command ran exactly once');
      assert.notEqual(after.operation, before.operation);
    });

    test('says so when WebSockets cannot be opened, and falls back to record-output when allowed', async () => {
      // The pooled HTTP connection stays; no new connection gets through.
      await host.run('true', { mode: 'record' });
      await host.disconnect(); // its sessions close; the remote's sockets stay
      host = await connect(`${server.remotes.https}:${instance}`, {
        env: { ...env, [server.confVariable]: confDir },
        remotes,
        mode: 'session',
      });
      await host.run('true', { mode: 'record' });
      proxy.refuseNew = true;
      try {
        const error = await host.run('echo hi').then(
          () => assert.fail('a session opened through a link that refuses them'),
          (caught: unknown) => caught,
        );
        assert.ok(error instanceof SessionUnavailableError, String(error));
        assert.equal(error.code, 'LXDAPI_SESSION_UNAVAILABLE');
        assert.equal(error.host, `${server.remotes.https}:${instance}`);
        assert.match(error.message, /WebSockets could not be opened/);
        assert.match(error.message, /fallback/);

        const fallen = await host.run('echo hi', { fallback: true });
        assert.equal(fallen.stdout, 'hi');
      } finally {
        proxy.refuseNew = false;
      }
    });
  });
}
