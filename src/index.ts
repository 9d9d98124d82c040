export { LxdApiError, ConfigError, HostSpecError } from './errors.js';
