// A host connected to a real sandbox server through the FAULT proxy, and one
// connected straight, for counting what the proxied commands really did.
import { randomBytes } from 'node:crypto';

import type { ServerDescription } from '../../sandbox/description.js';
import { connect } from '../../src/host/connect.js';
import type { Host } from '../../src/host/host.js';
import { RemoteRegistry } from '../../src/host/remote-registry.js';
import type { TransportOptions } from '../../src/transport/transport.js';
import { FaultProxy } from './fault-proxy.js';
import { proxiedConfig } from './proxied-config.js';
import { sandboxEnv } from './sandbox.js';

/** A proxied host, a straight one on the same instance, and their tear-down. */
export interface FaultBench {
  readonly proxy: FaultProxy;
  readonly host: Host;
  readonly direct: Host;
  readonly remotes: RemoteRegistry;
  /** A fresh counter file in the instance: `append` adds a line, `count` reads them. */
  counter(): { readonly path: string; readonly append: string; count(): Promise<number> };
  close(): Promise<void>;
}

/** Connects to `instance` of `server` through a new fault proxy. */
export async function faultBench(
  server: ServerDescription,
  instance: string,
  transport: TransportOptions = {},
): Promise<FaultBench> {
  const proxy = await FaultProxy.start(server);
  const confDir = await proxiedConfig(server, proxy.port, proxy.certificate.cert);
  const remotes = new RemoteRegistry(transport);
  const directRemotes = new RemoteRegistry();
  const spec = `${server.remotes.https}:${instance}`;
  const env = sandboxEnv();
  const host = await connect(spec, {
    env: { ...env, [server.confVariable]: confDir },
    remotes,
  });
  const direct = await connect(spec, { env, remotes: directRemotes });
  const counters: string[] = [];
  return {
    proxy,
    host,
    direct,
    remotes,
    counter() {
      const path = `/tmp/lxd-api-fault-count-${randomBytes(6).toString('hex')}`;
      counters.push(path);
      return {
        path,
        append: `echo ran >> ${path}`,
        async count() {
          const read = await direct.run(['sh', '-c', `cat ${path} 2>/dev/null; true`]);
          return String(read.stdout)
            .split('\n')
            .filter((line) => line === 'ran').length;
        },
      };
    },
    async close() {
      await remotes.close();
      if (counters.length > 0) await direct.run(['rm', '-f', ...counters]);
      await directRemotes.close();
      await proxy.close();
    },
  };
}
