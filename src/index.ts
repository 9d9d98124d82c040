// lxd-api-connector: LXD and Incus instances driven straight over their REST API.
export { LxdApiError, ConfigError, HostSpecError, RemoteExistsError } from './errors.js';
export * from './config/index.js';
export {
  AbortError,
  CertificateError,
  ConnectionError,
  TimeoutError,
  TransportError,
  type Sent,
} from './transport/errors.js';
export {
  ApiError,
  AuthenticationError,
  NotFoundError,
  OutputLostError,
  UnsupportedServerError,
} from './api/errors.js';
export type { ServerFacts } from './api/server-facts.js';
export * from './enrol/index.js';
export * from './host/index.js';
export * from './fleet/index.js';
