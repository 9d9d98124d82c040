// Every scenario against one server, in a fixed order: the exec sweep, then each
// scenario at each round-trip time of the plan, ours first, then the client's.
import { Fleet } from '../src/fleet/fleet.js';
import { connect } from '../src/host/connect.js';
import { RemoteRegistry } from '../src/host/remote-registry.js';
import type { Plan } from './plan.js';
import type { Measurement } from './results.js';
import type { Rig } from './rig.js';
import { measureCliExec } from './scenarios/cli.js';
import { measureConnects } from './scenarios/connect.js';
import { measureClientExec, measureOurExec } from './scenarios/exec.js';
import { measureFanOut } from './scenarios/fan-out.js';
import { measureFiles } from './scenarios/files.js';
import { measureSessionOpen } from './scenarios/session.js';
import { measureExecSweep } from './scenarios/sweep.js';
import type { LocalFiles } from './setup/local-files.js';

/** What a server's run needs besides its rig and plan. */
export interface ServerRun {
  readonly rig: Rig;
  readonly plan: Plan;
  readonly local: LocalFiles;
  readonly stateDir: string;
  readonly fanOutProject: string;
  /** Only the exec scenarios, in both modes. */
  readonly execOnly?: boolean;
  /** Called with each measurement as it is made. */
  readonly report: (measurement: Measurement) => void;
}

/** Measures everything against the rig's server; tells the server's version too. */
export async function runServer(
  run: ServerRun,
): Promise<{ version: string; measurements: Measurement[] }> {
  const { rig, plan } = run;
  const [instance] = rig.server.instances;
  if (instance === undefined) throw new Error('The sandbox describes no instance.');
  const measurements: Measurement[] = [];
  const keep = (measured: Measurement | readonly Measurement[]) => {
    for (const each of [measured].flat()) {
      measurements.push(each);
      run.report(each);
    }
  };

  const remotes = new RemoteRegistry();
  const host = await connect(rig.spec(instance), { env: rig.env, remotes });
  const sessionHost = await connect(rig.spec(instance), {
    env: rig.env,
    remotes,
    mode: 'session',
  });
  const fleet = new Fleet({ env: rig.env, project: run.fanOutProject, remotes });
  try {
    keep(
      await measureExecSweep(rig, host, sessionHost, instance, plan.sweep, {
        ours: plan.execRuns,
        client: plan.clientRuns,
      }),
    );

    const { members } =
      run.execOnly === true ? { members: [] } : await fleet.select([rig.spec('bench-*')]);
    for (const rtt of plan.rtts) {
      rig.setRtt(rtt);
      if (run.execOnly !== true) keep(await measureConnects(rig, rtt, plan.runs));
      keep(await measureSessionOpen(rig, host, rtt, plan.runs));
      for (const scenario of ['exec-1mb', 'exec-input'] as const) {
        keep(await measureOurExec(rig, host, scenario, rtt, plan.runs));
        keep(await measureOurExec(rig, sessionHost, scenario, rtt, plan.runs, 'session'));
        keep(await measureClientExec(rig, instance, scenario, rtt, plan.clientRuns));
      }
      if (run.execOnly === true) continue;
      keep(await measureCliExec(rig, instance, run.stateDir, rtt, plan.clientRuns));
      const { fanOutSizes, fanOutRuns } = plan;
      keep(await measureFanOut(rig, fleet, members, fanOutSizes, rtt, fanOutRuns));
      // At a distance the clients move samples only: trees a file at a time, and
      // incus large files at about 1 MB/s. Ours moves the samples too.
      const far = rtt > 0;
      keep(
        await measureFiles(rig, host, run.local, rtt, {
          small: plan.runs,
          smallClient: plan.clientRuns,
          bulk: plan.bulkRuns,
          ourLarge: far
            ? [plan.largeFileBytes, plan.sampleFileBytes]
            : [plan.largeFileBytes],
          clientLarge: far ? [plan.sampleFileBytes] : [plan.largeFileBytes],
          ourTrees: far ? [plan.treeFiles, plan.sampleTreeFiles] : [plan.treeFiles],
          clientTrees: far ? [plan.sampleTreeFiles] : [plan.treeFiles],
        }),
      );
    }
    return { version: host.facts.version, measurements };
  } finally {
    rig.setRtt(0);
    await host.disconnect();
    await sessionHost.disconnect();
    await fleet.close();
    await remotes.close();
  }
}
