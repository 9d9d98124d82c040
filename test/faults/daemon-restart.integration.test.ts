// A daemon restart between two commands: the sandbox's real LXD is stopped and
// started again, and the next command on the same host reconnects and works.
// LXD takes SIGTERM as "back soon" and leaves its containers running, but it
// first waits for every running operation to end (another client's long command
// can hold it for minutes) and refuses new ones meanwhile, so after two seconds
// the daemon is killed; the containers run on either way. Other test files share
// this daemon: this is the one test that restarts it, it starts it again even
// when it fails, and it waits until every sandbox container runs.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

import { ensureDaemon } from '../../sandbox/daemon.js';
import { lxd } from '../../sandbox/servers.js';
import { connect } from '../../src/host/connect.js';
import { RemoteRegistry } from '../../src/host/remote-registry.js';
import { sandboxClient, sandboxEnv, sandboxServers } from '../helpers/sandbox.js';

test('after LXD restarts between two commands, the next command reconnects and works', async () => {
  const server = sandboxServers().find((each) => each.kind === 'lxd');
  assert.ok(server, 'the sandbox has no LXD server');
  const remotes = new RemoteRegistry();
  const host = await connect(`${server.remotes.https}:${server.instances[0] ?? ''}`, {
    env: sandboxEnv(),
    remotes,
  });
  try {
    assert.equal((await host.run('echo before')).stdout, 'before');
    const connectsBefore = host.api.transport.stats.connects;

    const pid = daemonPid(lxd.daemon);
    process.kill(pid, 'SIGTERM');
    try {
      if (!(await exited(pid, 2000))) {
        process.kill(pid, 'SIGKILL');
        assert.ok(await exited(pid, 10_000), `LXD (pid ${pid}) survived SIGKILL`);
      }
    } finally {
      await ensureDaemon(lxd, resolve(import.meta.dirname, '../../.sandbox'));
      await ensureRunning(server);
    }

    const result = await host.run('echo after');
    assert.equal(result.stdout, 'after');
    assert.ok(host.api.transport.stats.connects > connectsBefore, 'no new connection');
  } finally {
    await remotes.close();
  }
});

/** The pid of the process whose command line is the sandbox's daemon command. */
function daemonPid(command: readonly string[]): number {
  const wanted = command.join('\0');
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let line: string;
    try {
      line = readFileSync(join('/proc', entry, 'cmdline'), 'utf8').replace(/\0$/, '');
    } catch {
      continue;
    }
    if (line === wanted || line === `/usr/bin/${wanted}`) return Number(entry);
  }
  throw new Error(
    `No process runs \`${command.join(' ')}\`: the sandbox's LXD daemon was not ` +
      'started by `npm run sandbox`, so this test cannot restart it.',
  );
}

/** Whether the process `pid` is gone within `ms` milliseconds. */
async function exited(pid: number, ms: number): Promise<boolean> {
  for (let waited = 0; waited < ms; waited += 50) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((done) => setTimeout(done, 50));
  }
  return false;
}

/** Starts any sandbox container of the server that is not running. */
async function ensureRunning(server: ReturnType<typeof sandboxServers>[number]) {
  const names = [...server.instances, server.sudoInstance];
  for (const name of names) {
    const state = await sandboxClient(server, [
      'list',
      `${server.remotes.unix}:${name}`,
      '--project',
      server.project,
      '--format',
      'csv',
      '--columns',
      's',
    ]);
    if (state.trim() !== 'RUNNING') {
      await sandboxClient(server, [
        'start',
        `${server.remotes.unix}:${name}`,
        '--project',
        server.project,
      ]);
    }
  }
}
