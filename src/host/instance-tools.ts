import type { Host } from './host.js';

// Whether each host's instance has `tar`, asked once per host.
const tarByHost = new WeakMap<Host, Promise<boolean>>();

/** Whether the instance has `tar` (and `sh`) to pack and unpack trees with. */
export function hasTar(host: Host): Promise<boolean> {
  let known = tarByHost.get(host);
  if (known === undefined) {
    known = host
      .run(['sh', '-c', 'command -v tar'], { reject: false })
      .then((result) => result.exitCode === 0);
    tarByHost.set(host, known);
    // A failed check is not remembered: the next tree asks again.
    known.catch(() => tarByHost.delete(host));
  }
  return known;
}
