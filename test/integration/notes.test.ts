import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DIALECTS } from '../helpers/app';
import { createTestContext, KitContext, KitUser } from '../kit';

/**
 * /notes over HTTP, written with the test kit as an app author would: every verb
 * needs an access token; a note is its owner's alone (another user's note, a
 * missing one and a malformed id get one and the same 404); holders of
 * notes:read:any (admins) may read any note, not change or delete it. On SQLite
 * and on PostgreSQL (whose uuid and text types refuse what SQLite stores).
 */
const SOME_ID = '4f1c8a52-9d3e-4b7a-8c61-0e2f5a9b3d47';
const NOT_FOUND = { error: 'not_found', error_description: 'No note has that id.', code: 'note_not_found' };

describe.each(DIALECTS)('/notes (%s)', (dialect) => {
  let t: KitContext;
  let alice: KitUser;
  let bob: KitUser;
  let admin: KitUser;
  beforeAll(async () => {
    t = await createTestContext({ dialect });
    [alice, bob, admin] = [await t.createUser(), await t.createUser(), await t.createUser({ role: 'admin' })];
  });
  afterAll(() => t.close());

  const newNote = async (user: KitUser, fields = { title: 'A title', body: 'A body' }) => (await t.loginAs(user).post('/notes').send(fields).expect(201)).body;

  describe('without a valid access token', () => {
    it.each([
      ['POST', '/notes'],
      ['GET', '/notes'],
      ['GET', `/notes/${SOME_ID}`],
      ['PATCH', `/notes/${SOME_ID}`],
      ['DELETE', `/notes/${SOME_ID}`],
    ])('%s %s responds 401 with a Bearer challenge', async (method, path) => {
      const verb = method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete';
      const none = await request(t.app)[verb](path).send({ title: 'x' });
      expect(none.status).toBe(401);
      expect(none.body.code).toBe('token_missing');
      expect(none.headers['www-authenticate']).toBe('Bearer realm="auth-server"');
      const bad = await request(t.app)[verb](path).set('Authorization', 'Bearer not.a.token').send({ title: 'x' });
      expect({ status: bad.status, code: bad.body.code }).toEqual({ status: 401, code: 'token_invalid' });
    });

    it('refuses an access token that has expired on the app’s clock', async () => {
      const api = t.loginAs(alice);
      t.clock.advance('15m');
      expect((await api.get('/notes')).body.code).toBe('token_expired');
    });
  });

  describe('POST /notes', () => {
    it('responds 201 with the note and its Location, owned by the caller whatever the body says', async () => {
      const res = await t.loginAs(alice).post('/notes').send({ title: 'Groceries', body: 'milk', user_id: bob.id, id: randomUUID() });
      expect(res.status).toBe(201);
      const now = t.clock.now().toISOString();
      expect(res.body).toEqual({ id: expect.any(String), user_id: alice.id, title: 'Groceries', body: 'milk', created_at: now, updated_at: now });
      expect(res.headers.location).toBe(`/notes/${res.body.id}`);
      expect(res.headers['cache-control']).toBe('no-store');
      const row = await t.db.Note.findByPk(res.body.id);
      expect(row).toMatchObject({ userId: alice.id, title: 'Groceries', body: 'milk' });
    });

    it('takes a missing body as empty, and the longest title and body there are', async () => {
      expect((await newNote(alice, { title: 'no body' } as never)).body).toBe('');
      const longest = await newNote(alice, { title: '😀'.repeat(200), body: 'b'.repeat(10_000) });
      expect([...longest.title]).toHaveLength(200);
      expect(longest.body).toHaveLength(10_000);
    });

    it.each([
      ['no title', { body: 'b' }, 'title', 'title is required'],
      ['an empty title', { title: '', body: 'b' }, 'title', 'title must be 1 to 200 characters long'],
      ['a title of 201 code points', { title: '😀'.repeat(201) }, 'title', 'title must be 1 to 200 characters long'],
      ['a title that is a number', { title: 42 }, 'title', 'title must be a string'],
      ['a title that is an array', { title: ['a'] }, 'title', 'title must be a string'],
      ['a NUL in the title', { title: 'a\u0000b' }, 'title', 'title must not contain NUL characters'],
      ['a lone surrogate in the title', { title: 'a\ud800' }, 'title', 'title must be valid Unicode text'],
      ['a body of 10,001 code points', { title: 't', body: 'b'.repeat(10_001) }, 'body', 'body must be 0 to 10000 characters long'],
      ['a body that is null', { title: 't', body: null }, 'body', 'body must be a string'],
      ['a NUL in the body', { title: 't', body: '\u0000' }, 'body', 'body must not contain NUL characters'],
    ])('responds 400 with a message for the field on %s', async (_label, fields, field, message) => {
      const before = await t.db.Note.count();
      const res = await t.loginAs(alice).post('/notes').send(fields);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request', code: 'validation_failed', errors: [{ field, message }] });
      expect(await t.db.Note.count()).toBe(before);
    });

    it('names every field that is wrong', async () => {
      const res = await t.loginAs(alice).post('/notes').send({ title: '', body: 7 });
      expect(res.body.errors).toEqual([
        { field: 'title', message: 'title must be 1 to 200 characters long' },
        { field: 'body', message: 'body must be a string' },
      ]);
    });
  });

  describe('GET /notes', () => {
    it('lists the caller’s notes only, newest first, 20 by default', async () => {
      const user = await t.createUser();
      const ids = [];
      for (let i = 0; i < 22; i += 1) {
        t.clock.advance('1s');
        ids.push((await newNote(user)).id);
      }
      await newNote(bob);
      const res = await t.loginAs(user).get('/notes');
      expect(res.status).toBe(200);
      expect(res.body.notes.map((n: { id: string }) => n.id)).toEqual(ids.reverse().slice(0, 20));
      expect(res.body.next_cursor).toEqual(expect.any(String));
    });

    it('pages through every note exactly once, timestamps equal or not, and ends with next_cursor null', async () => {
      const user = await t.createUser();
      const ids = new Set<string>();
      for (let i = 0; i < 13; i += 1) {
        if (i % 4 === 0) t.clock.advance('1s'); // runs of notes created at the same instant
        ids.add((await newNote(user)).id);
      }
      const api = t.loginAs(user);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: request.Response = await api.get('/notes').query({ limit: 4, ...(cursor ? { cursor } : {}) }).expect(200);
        seen.push(...res.body.notes.map((n: { id: string }) => n.id));
        cursor = res.body.next_cursor;
      } while (cursor);
      expect(seen).toHaveLength(13);
      expect(new Set(seen)).toEqual(ids);
    });

    it('does not widen to other users’ notes for a holder of notes:read:any', async () => {
      await newNote(alice);
      const res = await t.loginAs(admin).get('/notes').expect(200);
      expect(res.body.notes.every((n: { user_id: string }) => n.user_id === admin.id)).toBe(true);
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=1.5', 'limit'],
      ['limit=-1', 'limit'],
      ['limit=1&limit=2', 'limit'],
      ['cursor=', 'cursor'],
      ['cursor=not-a-cursor', 'cursor'],
      [`cursor=${Buffer.from(`${Date.now()}.${'z'.repeat(36)}`).toString('base64url')}`, 'cursor'],
      ['cursor=a&cursor=b', 'cursor'],
    ])('responds 400 naming the field for ?%s', async (query, field) => {
      const res = await t.loginAs(alice).get(`/notes?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field, message: expect.any(String) }]);
    });

    it('takes limits of 1 and 100', async () => {
      expect((await t.loginAs(alice).get('/notes?limit=1').expect(200)).body.notes).toHaveLength(1);
      await t.loginAs(alice).get('/notes?limit=100').expect(200);
    });
  });

  describe('PATCH /notes/:id', () => {
    it('changes the title, the body or both, and the update time', async () => {
      const note = await newNote(alice);
      t.clock.advance('1m');
      const res = await t.loginAs(alice).patch(`/notes/${note.id}`).send({ title: 'Renamed' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ...note, title: 'Renamed', updated_at: t.clock.now().toISOString() });
      const both = await t.loginAs(alice).patch(`/notes/${note.id}`).send({ title: 'Again', body: '' }).expect(200);
      expect(both.body).toMatchObject({ title: 'Again', body: '' });
    });

    it.each([
      ['nothing to change', {}, 'title', 'send title, body or both'],
      ['an empty title', { title: '' }, 'title', 'title must be 1 to 200 characters long'],
      ['a body too long', { body: 'b'.repeat(10_001) }, 'body', 'body must be 0 to 10000 characters long'],
    ])('responds 400 on %s', async (_label, fields, field, message) => {
      const note = await newNote(alice);
      const res = await t.loginAs(alice).patch(`/notes/${note.id}`).send(fields);
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field, message }]);
      expect((await t.db.Note.findByPk(note.id))!.title).toBe(note.title);
    });
  });

  /**
   * Every verb, by every kind of caller, at every kind of target. 'own' is a note
   * of the caller's; 'other' one of another user's. Whatever is refused is the
   * same 404 as a note that does not exist, and changes nothing.
   */
  describe('who may do what', () => {
    type Verb = 'GET' | 'PATCH' | 'DELETE';
    type Target = 'own' | 'other' | 'missing' | 'malformed';
    const OK: Record<Verb, number> = { GET: 200, PATCH: 200, DELETE: 204 };
    const cases: Array<[string, Verb, Target, number]> = [];
    for (const caller of ['alice', 'bob', 'admin']) {
      for (const verb of ['GET', 'PATCH', 'DELETE'] as const) {
        for (const target of ['own', 'other', 'missing', 'malformed'] as const) {
          const allowed = target === 'own' || (target === 'other' && caller === 'admin' && verb === 'GET');
          cases.push([caller, verb, target, allowed ? OK[verb] : 404]);
        }
      }
    }

    it.each(cases)('%s: %s on %s note responds %i', async (callerName, verb, target, status) => {
      const caller = { alice, bob, admin }[callerName]!;
      const someoneElse = caller === alice ? bob : alice;
      const note = target === 'own' ? await newNote(caller) : target === 'other' ? await newNote(someoneElse) : null;
      const id = note ? note.id : target === 'missing' ? randomUUID() : 'not-a-note-id';
      const api = t.loginAs(caller);
      const res = verb === 'GET' ? await api.get(`/notes/${id}`) : verb === 'PATCH' ? await api.patch(`/notes/${id}`).send({ title: 'Changed' }) : await api.delete(`/notes/${id}`);

      expect(res.status).toBe(status);
      if (status === 404) expect(res.body).toEqual(NOT_FOUND);
      if (status === 200) expect(res.body).toMatchObject({ id: note.id, user_id: note.user_id, title: verb === 'PATCH' ? 'Changed' : note.title });
      if (status === 204) expect(res.text).toBe('');
      if (note) {
        const row = await t.db.Note.findByPk(note.id);
        if (verb === 'DELETE' && status === 204) expect(row).toBeNull();
        else expect(row!.title).toBe(verb === 'PATCH' && status === 200 ? 'Changed' : note.title);
      }
    });

    it('answers a missing note, another user’s and a malformed id with byte-identical responses', async () => {
      const theirs = await newNote(alice);
      const api = t.loginAs(bob);
      for (const verb of ['get', 'patch', 'delete'] as const) {
        const bodies = new Set<string>();
        for (const id of [theirs.id, randomUUID(), 'x', theirs.id.toUpperCase(), `${theirs.id}-`]) {
          const res = await api[verb](`/notes/${id}`).send(verb === 'patch' ? { title: 'x' } : undefined);
          expect(res.status).toBe(404);
          bodies.add(JSON.stringify({ body: res.text, type: res.headers['content-type'], challenge: res.headers['www-authenticate'] ?? null }));
        }
        expect(bodies.size).toBe(1);
      }
    });
  });
});
