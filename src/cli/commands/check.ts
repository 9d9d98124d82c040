import type { Host } from '../../host/host.js';
import { fanOut } from '../fan-out.js';
import { painter } from '../style.js';
import { reasonOf } from '../summary.js';
import type { TargetFlags } from '../targets.js';

/** What `check` learns of one instance. */
interface Checked {
  readonly server: string;
  readonly extensions: Record<string, boolean>;
  readonly status: string;
  readonly roundTripMs: number;
  /** On a cluster: the member the instance lives on, and how requests reach it. */
  readonly member?: string;
  readonly route?: 'direct' | 'forwarded';
}

// The extensions this tool uses, or would use where present.
const extensions = [
  'container_exec_recording',
  'instance_file_head',
  'container_exec_user_group_cwd',
];

/** `lxd-api check TARGETS`: connects to each instance and probes its server. */
export async function checkCommand(
  targets: readonly string[],
  flags: TargetFlags,
): Promise<number> {
  const paint = painter(process.stdout);
  return fanOut('check', targets, flags, () => ({
    task: probe,
    onResult: (result) => {
      const label = result.member.label;
      if (flags.json === true) {
        const record = { instance: label, ok: result.status === 'ok', ...result.value };
        const error = result.status === 'ok' ? {} : { error: reasonOf(result) };
        process.stdout.write(`${JSON.stringify({ ...record, ...error })}\n`);
        return;
      }
      if (result.value === undefined) {
        process.stdout.write(`${paint('red', label)}  ${reasonOf(result)}\n`);
        return;
      }
      const value = result.value;
      const marks = Object.entries(value.extensions)
        .map(([name, present]) => `${name}:${present ? 'yes' : 'no'}`)
        .join(' ');
      const where =
        value.member === undefined ? '' : `member ${value.member} (${value.route})  `;
      process.stdout.write(
        `${paint('green', label)}  ${value.server}  ${value.status}  ${where}` +
          `rtt ${value.roundTripMs.toFixed(1)} ms  ${marks}\n`,
      );
    },
    summary: () => flags.json !== true,
  }));
}

async function probe(host: Host): Promise<Checked> {
  // One warm round trip: the socket that connect left open answers it. An instance
  // on another member of a cluster is reached on that member's socket, which its
  // first request opens: that one is not timed.
  if (host.route?.direct === true) await host.api.serverInfo();
  const started = performance.now();
  await host.api.serverInfo();
  const roundTripMs = performance.now() - started;
  const kind = host.facts.kind === 'lxd' ? 'LXD' : 'Incus';
  const route = host.route;
  return {
    server: `${kind} ${host.facts.version}`,
    extensions: Object.fromEntries(
      extensions.map((name) => [name, host.facts.extensions.has(name)]),
    ),
    status: host.instance.status,
    roundTripMs,
    ...(route?.member === undefined
      ? {}
      : { member: route.member, route: route.direct ? 'direct' : 'forwarded' }),
  };
}
