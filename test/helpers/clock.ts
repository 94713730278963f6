import type { Clock } from '../../app/clock';

/** A clock tests move by hand instead of sleeping. */
export interface FakeClock extends Clock {
  advance(ms: number): void;
  set(date: Date): void;
}

export function fakeClock(start: Date = new Date()): FakeClock {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance: (ms) => {
      current += ms;
    },
    set: (date) => {
      current = date.getTime();
    },
  };
}
