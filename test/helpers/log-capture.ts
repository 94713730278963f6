import type { Logger } from 'pino';
import { createLogger } from '../../app/logger';

export interface LogRecord {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** pino's numeric levels, to name what a test looks for. */
export const LEVEL = { info: 30, warn: 40, error: 50 } as const;

type Match = (record: LogRecord) => boolean;

export interface CapturedLog {
  logger: Logger;
  records: LogRecord[];
  /** Every line as written, to search for what must never appear. */
  text(): string;
  count(match: Match): number;
  /** Resolves once `times` records (already written or still to come) match; rejects after `timeoutMs`. */
  waitFor(match: Match, times?: number, timeoutMs?: number): Promise<void>;
}

/** A real pino logger writing JSON lines into memory, so a test waits for a line instead of sleeping. */
export function captureLog(level: 'info' | 'debug' | 'trace' = 'info'): CapturedLog {
  const lines: string[] = [];
  const records: LogRecord[] = [];
  const waiters = new Set<() => boolean>();
  const count = (match: Match) => records.filter(match).length;
  const logger = createLogger(level, {
    write(chunk: string) {
      lines.push(chunk);
      records.push(JSON.parse(chunk) as LogRecord);
      for (const settled of [...waiters]) if (settled()) waiters.delete(settled);
    },
  });
  return {
    logger,
    records,
    text: () => lines.join(''),
    count,
    waitFor(match, times = 1, timeoutMs = 10_000) {
      if (count(match) >= times) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(settled);
          reject(new Error(`fewer than ${times} matching log lines within ${timeoutMs} ms; lines so far:\n${lines.join('')}`));
        }, timeoutMs);
        function settled(): boolean {
          if (count(match) < times) return false;
          clearTimeout(timer);
          resolve();
          return true;
        }
        waiters.add(settled);
      });
    },
  };
}
