export { LxdApiError, ConfigError, HostSpecError } from './errors.js';
export * from './config/index.js';
