import { LxdApiError } from '../errors.js';

/** The command line is wrong: exit code 2, nothing was run. */
export class UsageError extends LxdApiError {
  constructor(message: string) {
    super('LXDAPI_USAGE', message);
  }
}
