// What round trip the delay proxy really adds: timers fire a little late, so the
// nominal figure is a floor. Measured with one-byte pings to a loopback echo.
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

import { TurnCountingProxy } from '../../test/helpers/turn-counting-proxy.js';
import { median, round } from '../measure.js';

/** The median round trip through the proxy at each nominal round-trip time. */
export async function calibrateProxy(
  rtts: readonly number[],
  pings = 20,
): Promise<Record<string, number>> {
  const echo = createServer((socket) => {
    socket.setNoDelay(true);
    socket.pipe(socket);
  });
  echo.listen(0, '127.0.0.1');
  await once(echo, 'listening');
  const { port } = echo.address() as AddressInfo;
  const proxy = await TurnCountingProxy.start(`127.0.0.1:${port}`);
  const socket = connect({ host: '127.0.0.1', port: proxy.port, noDelay: true });
  await once(socket, 'connect');
  try {
    const measured: Record<string, number> = {};
    for (const rtt of rtts) {
      proxy.oneWayDelay = rtt / 2;
      await ping(socket);
      const times: number[] = [];
      for (let i = 0; i < pings; i += 1) times.push(await ping(socket));
      measured[String(rtt)] = round(median(times));
    }
    return measured;
  } finally {
    socket.destroy();
    await proxy.close();
    echo.close();
  }
}

async function ping(socket: Socket): Promise<number> {
  const started = performance.now();
  const answered = once(socket, 'data');
  socket.write('x');
  await answered;
  return performance.now() - started;
}
