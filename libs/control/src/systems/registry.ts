import type { ControlSystem } from './control-system';
import { PJ } from './pj';
import { PENDULUM } from './pendulum';
import { LANE_KEEPING } from './lane-keeping';
import { CARTPOLE } from './cartpole';
import { PJ_PAPER } from './pj-paper';
import { PENDULUM_PAPER } from './pendulum-paper';
import { LANE_KEEPING_PAPER, LANE_KEEPING_PAPER_LYAPUNOV } from './lane-keeping-paper';
import { ATTITUDE } from './attitude';

/**
 * The benchmark systems by name: the project's variants (pj, pendulum, lane-keeping, cartpole) and the systems as
 * Wang et al. (ICCPS 2023) state them (the -paper names and attitude; see each file for the differences).
 */
export const SYSTEMS: Readonly<Record<string, ControlSystem>> = {
  pj: PJ,
  pendulum: PENDULUM,
  'lane-keeping': LANE_KEEPING,
  cartpole: CARTPOLE,
  'pj-paper': PJ_PAPER,
  'pendulum-paper': PENDULUM_PAPER,
  'lane-keeping-paper': LANE_KEEPING_PAPER,
  'lane-keeping-paper-lyapunov': LANE_KEEPING_PAPER_LYAPUNOV,
  attitude: ATTITUDE,
};

/** The system called `name`; throws a RangeError listing the known names otherwise. */
export function getSystem(name: string): ControlSystem {
  if (!Object.prototype.hasOwnProperty.call(SYSTEMS, name)) {
    throw new RangeError(`getSystem: name must be one of ${Object.keys(SYSTEMS).join(', ')}, received '${name}'`);
  }
  return SYSTEMS[name];
}
