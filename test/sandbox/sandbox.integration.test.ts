// The sandbox itself: both real servers answer over HTTPS and over their unix
// socket, its containers run, a project remote sees only its own project, and the
// Debian container has the sudo, coreutils and tar the busybox ones lack.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import type { Agent } from 'undici';

import {
  getJson,
  pinnedAgent,
  remoteEntry,
  sandboxClient,
  sandboxServers,
  socketAgent,
} from '../helpers/sandbox.js';

const expected = {
  lxd: { server: 'lxd', version: '5.0.2' },
  incus: { server: 'incus', version: '6.0.4' },
} as const;

interface ServerInfo {
  auth: string;
  api_extensions: string[];
  environment: { server: string; server_version: string };
}

for (const server of sandboxServers()) {
  describe(`the ${server.title} sandbox`, () => {
    const agents: Agent[] = [];
    const agentFor = (make: () => Agent) => {
      const agent = make();
      agents.push(agent);
      return agent;
    };
    after(() => Promise.all(agents.map((agent) => agent.close())));

    const origin = (name: string) => remoteEntry(server, name).addr;
    const mainInstances = [...server.instances, server.sudoInstance];
    // Through the default remote, in the sandbox's main project.
    const shell = (instance: string, script: string) =>
      sandboxClient(server, ['exec', instance, '--', 'sh', '-c', script]);

    test('answers GET /1.0 over HTTPS as trusted, with the pinned certificate', async () => {
      const agent = agentFor(() => pinnedAgent(server, server.remotes.https));
      const { status, body } = await getJson(agent, origin(server.remotes.https), '/1.0');
      const info = body.metadata as ServerInfo;

      assert.equal(status, 200);
      assert.equal(info.auth, 'trusted');
      assert.equal(info.environment.server, expected[server.kind].server);
      assert.equal(info.environment.server_version, expected[server.kind].version);
      assert.ok(info.api_extensions.includes('container_exec_recording'));
    });

    test('answers GET /1.0 over its unix socket', async () => {
      assert.equal(remoteEntry(server, server.remotes.unix).addr, 'unix://');
      const agent = agentFor(() => socketAgent(server));
      const { status, body } = await getJson(agent, 'http://unix.socket', '/1.0');
      const info = body.metadata as ServerInfo;

      assert.equal(status, 200);
      assert.equal(info.auth, 'trusted');
      assert.equal(info.environment.server, expected[server.kind].server);
    });

    test('runs every container of both its projects', async () => {
      const agent = agentFor(() => socketAgent(server));
      for (const [project, names] of [
        [server.project, mainInstances],
        [server.otherProject, server.otherInstances],
      ] as const) {
        const path = `/1.0/instances?recursion=1&project=${project}`;
        const { body } = await getJson(agent, 'http://unix.socket', path);
        const instances = body.metadata as { name: string; status: string }[];
        const running = instances.filter((item) => item.status === 'Running');

        assert.deepEqual(running.map((item) => item.name).sort(), [...names].sort());
      }
    });

    test('shows each project remote only the instances of its project', async () => {
      for (const [remote, names] of [
        [server.remotes.https, mainInstances],
        [server.remotes.other, server.otherInstances],
      ] as const) {
        const { project } = remoteEntry(server, remote);
        assert.ok(
          project !== undefined && project !== 'default',
          `${remote} has a project`,
        );
        const agent = agentFor(() => pinnedAgent(server, remote));
        const path = `/1.0/instances?project=${encodeURIComponent(project)}`;
        const { status, body } = await getJson(agent, origin(remote), path);
        const urls = body.metadata as string[];

        assert.equal(status, 200);
        assert.deepEqual(
          urls.map((url) => url.split('/').at(-1)?.split('?')[0]).sort(),
          [...names].sort(),
        );
      }
    });

    test('lets app in the Debian container sudo without a password', async () => {
      // Standard error joins the output: sudo must not warn, of the host name or else.
      const output = await shell(server.sudoInstance, "su app -c 'sudo -n id -u 2>&1'");

      assert.equal(output, '0');
    });

    test('gives the Debian container GNU coreutils and GNU tar', async () => {
      const output = await shell(server.sudoInstance, 'ls --version; tar --version');

      assert.match(output, /^ls \(GNU coreutils\)/m);
      assert.match(output, /^tar \(GNU tar\)/m);
    });

    test('has the same user app, uid and gid 1000, in every container', async () => {
      for (const instance of mainInstances) {
        assert.equal(
          await shell(instance, 'id -u app; id -g app'),
          '1000\n1000',
          instance,
        );
      }
    });
  });
}
