// Adapter from the discrete-event VirtualClock to the Timers interface used by the transports.
import type { VirtualClock } from '../link/clock.js';
import type { Timers } from './types.js';

/** Timers driven by a VirtualClock: setTimer schedules a clock event, clearTimer cancels it. */
export function clockTimers(clock: VirtualClock): Timers {
  return {
    now: () => clock.now(),
    setTimer: (ms, fn) => clock.after(Math.max(0, Number.isFinite(ms) ? ms : 0), fn),
    clearTimer: (handle) => {
      if (typeof handle === 'number') clock.cancel(handle);
    },
  };
}
