import { Writable } from 'node:stream';
import request from 'supertest';
import { createLogger } from '../../app/logger';
import { createTestContext, TestContext } from '../helpers/app';
import { createSession } from '../factories/user.factory';

/** A pino destination that keeps every line written to it. */
function captureLines() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, stream };
}

/** A response is logged on 'close', just after supertest has its answer. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

/** middleware/request-context.ts: X-Request-Id, and one log line per response, only when its level is on. */
describe('request context', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('echoes a safe X-Request-Id and replaces an unsafe one with a UUID', async () => {
    const safe = await request(ctx.app).get('/health').set('X-Request-Id', 'abc-123_x.y');
    expect(safe.headers['x-request-id']).toBe('abc-123_x.y');
    const unsafe = await request(ctx.app).get('/health').set('X-Request-Id', 'bad id\twith spaces');
    expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('at warn writes nothing for a 2xx and one redacted warn line for a 4xx', async () => {
    const { lines, stream } = captureLines();
    const app = ctx.appWith({ logger: createLogger('warn', stream) });
    const { tokens } = await createSession(app, ctx.db);
    await settled();
    lines.length = 0;

    await request(app).get('/protected').set('Authorization', `Bearer ${tokens.access_token}`).expect(200);
    await request(app).get('/protected?access_token=abc').set('Authorization', 'Bearer not-a-jwt').set('X-Request-Id', 'req-4xx').expect(400);
    await settled();

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 40,
      msg: 'request completed',
      req: { id: 'req-4xx', method: 'GET', url: '/protected?access_token=[REDACTED]', headers: { authorization: '[REDACTED]' } },
      res: { statusCode: 400 },
      responseTime: expect.any(Number),
    });
  });

  it('at info writes one line per response, 2xx included', async () => {
    const { lines, stream } = captureLines();
    const app = ctx.appWith({ logger: createLogger('info', stream) });
    await request(app).get('/health').set('X-Request-Id', 'req-200').expect(200);
    await settled();
    expect(lines).toEqual([expect.objectContaining({ level: 30, msg: 'request completed', req: expect.objectContaining({ id: 'req-200' }) })]);
  });

  it('at debug also writes "request received" as a request arrives, before the line of its response', async () => {
    const { lines, stream } = captureLines();
    const app = ctx.appWith({ logger: createLogger('debug', stream) });
    await request(app).get('/health?token=abc').set('X-Request-Id', 'req-debug').expect(200);
    await settled();
    expect(lines.map((line) => line.msg)).toEqual(['request received', 'request completed']);
    expect(lines[0]).toMatchObject({ level: 20, req: { id: 'req-debug', method: 'GET', url: '/health?token=[REDACTED]' } });
  });

  it('logs a 5xx at error, with the cause through req.log from the error handler', async () => {
    const { lines, stream } = captureLines();
    const broken = await createTestContext({ logger: createLogger('warn', stream) });
    await broken.close(); // every query now fails: the database is gone
    const res = await request(broken.app).get('/health').set('X-Request-Id', 'req-503');
    await settled();
    expect(res.status).toBe(503);
    expect(lines.filter((line) => line.msg === 'request errored')).toEqual([
      expect.objectContaining({ level: 50, req: expect.objectContaining({ id: 'req-503' }), res: expect.objectContaining({ statusCode: 503 }) }),
    ]);
  });
});
