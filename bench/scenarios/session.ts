// What session mode costs once per host: the exec of its shell and its four
// WebSockets (stdin, stdout, stderr, control), each a TCP and TLS connection.
import type { Host } from '../../src/host/host.js';
import { Session } from '../../src/host/session/session.js';
import { measure } from '../measure.js';
import type { Measurement } from '../results.js';
import type { Rig } from '../rig.js';

/** Opens a session on the warm host `runs` times, closing each one untimed. */
export async function measureSessionOpen(
  rig: Rig,
  host: Host,
  rttMs: number,
  runs: number,
): Promise<Measurement> {
  let session: Session | undefined;
  return measure(
    { scenario: 'session-open', tool: 'lxd-api', server: rig.kind, rttMs },
    rig.proxy,
    {
      run: async () => {
        session = await Session.open(host, { env: {} });
      },
      stats: () => host.api.transport.stats,
      after: async () => {
        await session?.close();
      },
    },
    runs,
  );
}
