import { LxdApiError } from '../errors.js';

/** The instance exists but is not in a state that lets us work with it. */
export class InstanceStateError extends LxdApiError {
  readonly remote: string;
  readonly project: string;
  readonly instance: string;
  /** The instance's status as the server reports it, such as `Stopped`. */
  readonly status: string;

  constructor(
    message: string,
    details: { remote: string; project: string; instance: string; status: string },
  ) {
    super('LXDAPI_INSTANCE_NOT_RUNNING', message);
    this.remote = details.remote;
    this.project = details.project;
    this.instance = details.instance;
    this.status = details.status;
  }
}
