// The sandbox's clusters: two members each, both answering on their own socket and
// address with the one cluster certificate the remote pins, trusting the sandbox's
// client certificate, and a running container on each member.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { Agent } from 'undici';

import { sandboxClusters } from '../helpers/cluster.js';
import { credentials, getJson } from '../helpers/sandbox.js';
import type { ServerDescription } from '../../sandbox/description.js';

for (const cluster of sandboxClusters()) {
  describe(`the sandbox's ${cluster.title} cluster`, () => {
    const agents: Agent[] = [];
    after(() => Promise.all(agents.map((agent) => agent.close())));

    test('every member presents the pinned certificate and trusts the client', async () => {
      // The remote's files, as credentials() reads them from a config folder.
      const { cert, key, pinned } = credentials(
        { confDir: cluster.confDir } as ServerDescription,
        cluster.remote,
      );
      for (const member of cluster.members) {
        const seen: string[] = [];
        const agent = new Agent({
          connect: {
            cert,
            key,
            // The one root is the pinned certificate; the member's address is not
            // among its names, so the identity is the fingerprint alone.
            ca: pinned.toString(),
            checkServerIdentity: (_host, peer) => {
              seen.push(peer.fingerprint256);
              return undefined;
            },
          },
        });
        agents.push(agent);
        const { status, body } = await getJson(agent, member.url, '/1.0');
        const info = body.metadata as {
          auth: string;
          environment: { server_clustered: boolean; server_name: string };
        };
        assert.equal(status, 200);
        assert.equal(info.auth, 'trusted');
        assert.equal(info.environment.server_clustered, true);
        assert.equal(info.environment.server_name, member.name);
        assert.deepEqual(seen, [pinned.fingerprint256]);
      }
    });

    test('runs a container on each member', async () => {
      const agent = new Agent({ connect: { socketPath: cluster.members[0].socket } });
      agents.push(agent);
      const { body } = await getJson(
        agent,
        'http://unix.socket',
        '/1.0/instances?recursion=1',
      );
      const instances = body.metadata as {
        name: string;
        status: string;
        location: string;
      }[];
      for (const member of cluster.members) {
        const found = instances.find((each) => each.name === member.container);
        assert.equal(found?.status, 'Running');
        assert.equal(found.location, member.name);
      }
    });
  });
}
