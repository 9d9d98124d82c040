// One server as the benchmarks reach it: through a delay proxy of its own, by a
// remote written into a copy of the sandbox's client configuration.
import type { ServerDescription } from '../sandbox/description.js';
import { TurnCountingProxy } from '../test/helpers/turn-counting-proxy.js';
import { writeBenchConfig } from './setup/client-config.js';

/** A server behind its delay proxy, and how to name it. */
export interface Rig {
  readonly server: ServerDescription;
  readonly kind: 'lxd' | 'incus';
  readonly proxy: TurnCountingProxy;
  /** The remote through the proxy, as the copied client configuration names it. */
  readonly remote: string;
  /** Environment for our library, our CLI and the real client alike. */
  readonly env: Readonly<Record<string, string>>;
  /** The configuration folder of the copy. */
  readonly confDir: string;
  /** A host spec through the proxy: `@lxd_api/lxd-bench:web-1`. */
  spec(instance: string): string;
  /** Sets the round-trip time the proxy adds; half of it each way. */
  setRtt(ms: number): void;
}

/** Starts a server's proxy and writes its remote into `<root>/<client>`. */
export async function makeRig(server: ServerDescription, root: string): Promise<Rig> {
  const proxy = await TurnCountingProxy.start(server.httpsAddress);
  const { dir, remote } = await writeBenchConfig(server, root, proxy.port);
  const prefix = server.kind === 'lxd' ? '@lxd_api/' : '@incus_api/';
  return {
    server,
    kind: server.kind,
    proxy,
    remote,
    confDir: dir,
    // No home: nothing of the user's own configuration may take part.
    env: { [server.confVariable]: dir, HOME: '/nonexistent' },
    spec: (instance) => `${prefix}${remote}:${instance}`,
    setRtt: (ms) => {
      proxy.oneWayDelay = ms / 2;
    },
  };
}
