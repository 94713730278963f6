import type { Clock } from '../../app/clock';
import { parseDurationSeconds } from '../../config/duration';

/** A clock tests move by hand instead of sleeping. */
export interface FakeClock extends Clock {
  /**
   * Moves time on: a duration in the config's syntax ('16m', '30d', '10s', '900'
   * for seconds; config/duration.ts), or a number of milliseconds.
   */
  advance(by: string | number): void;
  set(date: Date): void;
}

export function fakeClock(start: Date = new Date()): FakeClock {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance: (by) => {
      current += typeof by === 'number' ? by : durationMs(by);
    },
    set: (date) => {
      current = date.getTime();
    },
  };
}

function durationMs(text: string): number {
  const seconds = parseDurationSeconds(text);
  if (seconds === null) throw new Error(`not a duration: "${text}" (seconds, or a number with s/m/h/d, as in the config: "16m")`);
  return seconds * 1000;
}
