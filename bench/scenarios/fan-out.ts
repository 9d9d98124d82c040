// Fan-out: `true` on 3, 10 and 30 instances at once through one fleet, whose
// remote is connected and listed already, at the fleet's default bound of 16.
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
      const scenario = `fan-out-${size}` as ScenarioId;
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
    return measured;
  } finally {
    await connection.release();
  }
}
