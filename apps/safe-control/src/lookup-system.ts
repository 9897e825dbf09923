import { InputError } from '@bilevel/problems';
import type { ControlSystem } from '@bilevel/control';
import { SYSTEMS, getSystem } from '@bilevel/control';

/** The benchmark system called `name`, or an InputError listing the known ones. */
export function lookupSystem(name: string): ControlSystem {
  if (!Object.prototype.hasOwnProperty.call(SYSTEMS, name)) {
    throw new InputError(`unknown system '${name}'; expected one of ${Object.keys(SYSTEMS).join(', ')}`, '--system');
  }
  return getSystem(name);
}
