// What a test leaves running in this process: sockets and timers, counted from
// Node's list of the resources that keep the event loop alive.

/** Sockets and timers active now. */
export function activeResources(): { sockets: number; timers: number } {
  const kinds = process.getActiveResourcesInfo();
  return {
    sockets: kinds.filter((kind) => kind === 'TCPSocketWrap' || kind === 'TLSWrap')
      .length,
    timers: kinds.filter((kind) => kind === 'Timeout').length,
  };
}

/**
 * Waits (up to two seconds: closing sockets and expiring timers take a few turns
 * of the event loop) until no more sockets and timers are active than `baseline`,
 * and returns what is active then, for the assertion.
 */
export async function settledResources(baseline: {
  sockets: number;
  timers: number;
}): Promise<{ sockets: number; timers: number }> {
  let now = activeResources();
  for (let waited = 0; waited < 2000; waited += 50) {
    if (now.sockets <= baseline.sockets && now.timers <= baseline.timers) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
    now = activeResources();
  }
  return now;
}
