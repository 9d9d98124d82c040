import { LxdApiError } from '../errors.js';

/** One line for an error: its message, which already says what to do. */
export function describeError(error: unknown): string {
  if (error instanceof LxdApiError) return error.message;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
