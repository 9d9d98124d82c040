// Connecting: to a remote nobody is connected to (TCP, TLS, then the server's facts
// and the instance), and to another instance of a remote already connected.
import { connect } from '../../src/host/connect.js';
import type { Host } from '../../src/host/host.js';
import { RemoteRegistry } from '../../src/host/remote-registry.js';
import { measure } from '../measure.js';
import type { Measurement } from '../results.js';
import type { Rig } from '../rig.js';

/** Cold and second connects at the rig's current round-trip time. */
export async function measureConnects(
  rig: Rig,
  rttMs: number,
  runs: number,
): Promise<Measurement[]> {
  const [first, second] = rig.server.instances;
  if (first === undefined || second === undefined) {
    throw new Error('The sandbox describes fewer than two instances per server.');
  }
  const subject = { tool: 'lxd-api', server: rig.kind, rttMs } as const;

  // A registry of its own each run: nothing is connected, nothing is known.
  let cold: Host | undefined;
  const coldConnect = await measure(
    { ...subject, scenario: 'connect-cold' },
    rig.proxy,
    {
      run: async () => {
        cold = await connect(rig.spec(first), {
          env: rig.env,
          remotes: new RemoteRegistry(),
        });
      },
      stats: () => cold?.api.transport.stats,
      after: async () => {
        await cold?.disconnect();
        cold = undefined;
      },
    },
    runs,
  );

  // One host holds the remote open; each run connects another instance beside it.
  const remotes = new RemoteRegistry();
  const held = await connect(rig.spec(first), { env: rig.env, remotes });
  let another: Host | undefined;
  try {
    const secondConnect = await measure(
      { ...subject, scenario: 'connect-second' },
      rig.proxy,
      {
        run: async () => {
          another = await connect(rig.spec(second), { env: rig.env, remotes });
        },
        stats: () => held.api.transport.stats,
        after: async () => {
          await another?.disconnect();
        },
      },
      runs,
    );
    return [coldConnect, secondConnect];
  } finally {
    await held.disconnect();
    await remotes.close();
  }
}
