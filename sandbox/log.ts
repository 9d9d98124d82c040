// What the sandbox prints: one line per thing it found or did, so a second run
// shows at a glance that it only checked.

/** Prints a step the sandbox took or a fact it found, under a server's label. */
export function say(label: string, text: string): void {
  console.log(`[${label}] ${text}`);
}

/** An error that ends the sandbox run with a cause a person can act on. */
export class SandboxError extends Error {
  override name = 'SandboxError';
}
