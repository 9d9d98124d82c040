// The exec sweep: `true` at every round-trip time of the plan, ours and the real
// client's, interleaved run by run so that a drift in the machine's load (other
// work on the servers, say) touches every point alike.
import type { Host } from '../../src/host/host.js';
import { Series } from '../measure.js';
import type { Measurement } from '../results.js';
import type { Rig } from '../rig.js';
import { clientExec, ourExec } from './exec.js';

/**
 * exec `true` at each of `rtts`: `runs` of ours with record-output and as many in
 * a session (on `sessionHost`), and `clientRuns` of the client's.
 */
export async function measureExecSweep(
  rig: Rig,
  host: Host,
  sessionHost: Host,
  instance: string,
  rtts: readonly number[],
  runs: { readonly ours: number; readonly client: number },
): Promise<Measurement[]> {
  const subject = { scenario: 'exec-true', server: rig.kind } as const;
  const points = rtts.map((rttMs) => ({
    rttMs,
    ours: new Series(
      { ...subject, tool: 'lxd-api', rttMs },
      rig.proxy,
      ourExec(host, 'exec-true'),
    ),
    session: new Series(
      { ...subject, scenario: 'session-true', tool: 'lxd-api', rttMs },
      rig.proxy,
      ourExec(sessionHost, 'exec-true', 'session'),
    ),
    client: new Series(
      { ...subject, tool: rig.server.client, rttMs },
      rig.proxy,
      clientExec(rig, instance, 'exec-true'),
    ),
  }));

  for (const point of points) {
    rig.setRtt(point.rttMs);
    await point.ours.warmUp();
    await point.session.warmUp();
    await point.client.warmUp();
  }
  for (let run = 0; run < Math.max(runs.ours, runs.client); run += 1) {
    for (const point of points) {
      rig.setRtt(point.rttMs);
      if (run < runs.ours) await point.ours.runOnce();
      if (run < runs.ours) await point.session.runOnce();
      if (run < runs.client) await point.client.runOnce();
    }
  }
  return points.flatMap((point) => [
    point.ours.result(),
    point.session.result(),
    point.client.result(),
  ]);
}
