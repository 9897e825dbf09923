import { InputError } from '@bilevel/io';
import type { ControlSystem } from '@bilevel/control';
import { INVERTED_PENDULUM, SYSTEMS, getSystem } from '@bilevel/control';

/**
 * The systems the app knows: the registry of libs/control (SYSTEMS) plus the neural track's inverted pendulum
 * (INVERTED_PENDULUM, exported by libs/control but not in its registry), in that order.
 */
export const APP_SYSTEMS: Readonly<Record<string, ControlSystem>> = Object.freeze({
  ...Object.fromEntries(Object.keys(SYSTEMS).map((name) => [name, getSystem(name)])),
  [INVERTED_PENDULUM.name]: INVERTED_PENDULUM,
});

/** The benchmark system called `name`, or an InputError listing the known ones. */
export function lookupSystem(name: string): ControlSystem {
  if (!Object.prototype.hasOwnProperty.call(APP_SYSTEMS, name)) {
    throw new InputError(`unknown system '${name}'; expected one of ${Object.keys(APP_SYSTEMS).join(', ')}`, '--system');
  }
  return APP_SYSTEMS[name];
}
