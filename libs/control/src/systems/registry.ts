import type { ControlSystem } from './control-system';
import { PJ } from './pj';
import { PENDULUM } from './pendulum';
import { LANE_KEEPING } from './lane-keeping';
import { CARTPOLE } from './cartpole';

/** The benchmark systems by name. */
export const SYSTEMS: Readonly<Record<string, ControlSystem>> = {
  pj: PJ,
  pendulum: PENDULUM,
  'lane-keeping': LANE_KEEPING,
  cartpole: CARTPOLE,
};

/** The system called `name`; throws a RangeError listing the known names otherwise. */
export function getSystem(name: string): ControlSystem {
  if (!Object.prototype.hasOwnProperty.call(SYSTEMS, name)) {
    throw new RangeError(`getSystem: name must be one of ${Object.keys(SYSTEMS).join(', ')}, received '${name}'`);
  }
  return SYSTEMS[name];
}
