import request from 'supertest';
import { createTestContext, KitContext } from '../kit';

describe('GET /notes/:id', () => {
  let t: KitContext;
  beforeAll(async () => {
    t = await createTestContext();
  });
  afterAll(() => t.close());

  it('shows a note to its owner and to admins, and to no one else', async () => {
    const [alice, bob, admin] = [await t.createUser(), await t.createUser(), await t.createUser({ role: 'admin' })];
    const { body: note } = await t.loginAs(alice).post('/notes').send({ title: 'Mine' }).expect(201);

    await t.loginAs(alice).get(`/notes/${note.id}`).expect(200);
    await t.loginAs(admin).get(`/notes/${note.id}`).expect(200); // notes:read:any
    const res = await t.loginAs(bob).get(`/notes/${note.id}`);
    expect(res.status).toBe(404); // exactly as for a note that does not exist
    expect(res.body.code).toBe('note_not_found');
    await request(t.app).get(`/notes/${note.id}`).expect(401);
  });

  it('refuses an access token once it has expired', async () => {
    const api = t.loginAs(await t.createUser());
    t.clock.advance('16m'); // ACCESS_TOKEN_TTL is 15m; no sleeping
    const res = await api.get('/notes');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('token_expired');
  });
});
