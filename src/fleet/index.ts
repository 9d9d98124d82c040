// The fleet layer: many instances at once.
export {
  Fleet,
  type FleetMember,
  type FleetOptions,
  type ForEachOptions,
  type MemberResult,
  type Selection,
} from './fleet.js';
export { parseTarget, type Target } from './target.js';
export { parseConfigFilters, passesFilter, type InstanceFilter } from './select.js';
