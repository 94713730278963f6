import pino from 'pino';
import request from 'supertest';
import { createServices } from '../../app';
import { bootApp } from '../../app/boot';
import { loadConfig } from '../../config';
import { Database, openDatabase, UserModel } from '../../models';
import { TEST_ENV } from '../helpers/app';

/** How many hooks of each type a model holds (Sequelize keeps them in `options.hooks`). */
function hookCounts(model: UserModel): Record<string, number> {
  const hooks = (model as unknown as { options: { hooks?: Record<string, unknown[]> } }).options.hooks ?? {};
  return Object.fromEntries(Object.entries(hooks).map(([type, list]) => [type, list.length]));
}

describe('bootApp (the start path of server.ts, short of listening)', () => {
  const dbs: Database[] = [];
  afterAll(async () => {
    await Promise.all(dbs.map((db) => db.sequelize.close()));
  });

  it('builds the services once: each User model hook is registered once, as by a single createServices', async () => {
    // The reference: a database with the services built exactly once.
    const config = loadConfig({ ...TEST_ENV, SEED_DEMO_USER: 'true' });
    const reference = await openDatabase(config.database);
    dbs.push(reference);
    createServices({ config, db: reference });
    const once = hookCounts(reference.User);
    expect(once).toEqual(expect.objectContaining({ afterUpdate: expect.any(Number), afterBulkUpdate: expect.any(Number) }));

    // The boot path, with the development seed (which needs the password service).
    const { app, db } = await bootApp(config, pino({ enabled: false }));
    dbs.push(db);
    expect(await db.User.count({ where: { username: 'johndoe' } })).toBe(1);
    expect(hookCounts(db.User)).toEqual(once);

    // And the app it built works on that database: the seeded user logs in.
    const login = await request(app).post('/token').send({ username: 'johndoe', password: 'secret' });
    expect(login.status).toBe(200);
  });
});
