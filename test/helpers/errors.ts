import assert from 'node:assert/strict';

/** Runs `fn` and returns what it threw, asserting it is a `type`. */
export function catchError<T extends Error>(
  fn: () => unknown,
  type: abstract new (...args: never[]) => T,
): T {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof type, `expected a ${type.name}, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected a ${type.name}, but nothing was thrown`);
}

/** Asserts that `message` contains each of `parts`. */
export function assertMentions(message: string, parts: readonly string[]): void {
  for (const part of parts) {
    assert.ok(message.includes(part), `expected ${JSON.stringify(part)} in: ${message}`);
  }
}
