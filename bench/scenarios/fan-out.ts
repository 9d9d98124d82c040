// Fan-out: `true` on 3, 10 and 30 instances at once through one fleet, whose
// remote is connected and listed already, at the fleet's default bound of 16.
//
// Beside it, a control that starts nothing in the instances: a read of each
// instance's record (`GET /1.0/instances/NAME`, one request each) on one instance
// and on the largest set. A stat would not do: the files API starts a helper
// process in the instance, as exec does. Where `true` over many instances is slow
// and the control is not, the time went into the server's starting of processes,
// not into the client or the link.
import type { Fleet, FleetMember } from '../../src/fleet/fleet.js';
import { measure } from '../measure.js';
import type { Measurement, ScenarioId } from '../results.js';
import type { Rig } from '../rig.js';
import { benchNames } from '../setup/fan-out-instances.js';

/** One fan-out measurement per size, over `bench-1` … `bench-<size>`. */
export async function measureFanOut(
  rig: Rig,
  fleet: Fleet,
  members: readonly FleetMember[],
  sizes: readonly number[],
  rttMs: number,
  runs: number,
): Promise<Measurement[]> {
  const first = members[0];
  if (first === undefined) throw new Error('The fan-out selected no instance.');
  // A reference of our own on the remote, to read its transport's counters.
  const connection = fleet.remotes.acquire(first.remote);
  try {
    const measured: Measurement[] = [];
    for (const size of sizes) {
      const wanted = new Set(benchNames(size));
      const chosen = members.filter((member) => wanted.has(member.instance.name));
      if (chosen.length !== size) {
        throw new Error(`The fan-out found ${chosen.length} of ${size} instances.`);
      }
      const scenario = `fan-out-${String(size)}` as ScenarioId;
      const subject = { scenario, tool: 'lxd-api', server: rig.kind, rttMs } as const;
      const run = async () => {
        const results = await fleet.exec(chosen, 'true');
        const failed = results.filter((result) => result.status !== 'ok');
        if (failed.length > 0) {
          const [one] = failed;
          throw new Error(
            `The fan-out failed on ${failed.length} instances, ${one?.member.label} ` +
              `with ${one?.status}: ${String(one?.error)}`,
          );
        }
      };
      const stats = () => connection.transport.stats;
      measured.push(await measure(subject, rig.proxy, { run, stats }, runs));
    }

    const largest = Math.max(...sizes);
    for (const size of [1, largest]) {
      const wanted = new Set(benchNames(size));
      const chosen = members.filter((member) => wanted.has(member.instance.name));
      const scenario = `fan-out-get-${String(size)}` as ScenarioId;
      const subject = { scenario, tool: 'lxd-api', server: rig.kind, rttMs } as const;
      const run = async () => {
        const results = await fleet.forEach(chosen, (host) =>
          host.api.instance(host.name),
        );
        const failed = results.find((result) => result.status !== 'ok');
        if (failed !== undefined) {
          throw new Error(
            `The instance read failed on ${failed.member.label}: ${String(failed.error)}`,
          );
        }
      };
      const stats = () => connection.transport.stats;
      measured.push(await measure(subject, rig.proxy, { run, stats }, runs));
    }
    return measured;
  } finally {
    await connection.release();
  }
}
