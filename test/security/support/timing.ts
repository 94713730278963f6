import type request from 'supertest';

export const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** How long one request took (ms), checking it got the status expected: a timing comparison of wrong answers proves nothing. */
export async function timed(send: () => request.Test, expectedStatus: number): Promise<number> {
  const started = process.hrtime.bigint();
  const res = await send();
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  expect(res.status).toBe(expectedStatus);
  return elapsed;
}
