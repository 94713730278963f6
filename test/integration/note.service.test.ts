import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { NotFound } from '../../app/services/errors';
import { createNoteService, NoteService } from '../../app/services/note.service';
import { DIALECTS, createTestContext, TestContext } from '../helpers/app';
import { fakeClock } from '../helpers/clock';
import { createUser } from '../factories/user.factory';

/**
 * The notes service on each dialect: ownership in every statement, keyset pages
 * in a stable order (equal timestamps included), ids that are not UUIDs refused
 * before the database sees them (PostgreSQL would fail on the cast), and the
 * table's foreign key and index (migration 005-notes).
 */
describe.each(DIALECTS)('note service (%s)', (dialect) => {
  const clock = fakeClock(new Date('2030-05-01T12:00:00Z'));
  let ctx: TestContext;
  let notes: NoteService;
  beforeAll(async () => {
    ctx = await createTestContext({ dialect, clock });
    notes = createNoteService(ctx.db, clock);
  });
  afterAll(() => ctx.close());

  const owner = async () => (await createUser(ctx.db)).user.id;
  const expectNotFound = (promise: Promise<unknown>) => expect(promise).rejects.toEqual(new NotFound('note_not_found', 'No note has that id.'));

  describe('create', () => {
    it('stores the note for its owner, stamped by the clock', async () => {
      const userId = await owner();
      const note = await notes.create(userId, { title: 'Groceries', body: 'milk\neggs' });
      const row = await ctx.db.Note.findByPk(note.id);
      expect(row!.get({ plain: true })).toEqual({ id: note.id, userId, title: 'Groceries', body: 'milk\neggs', createdAt: clock.now(), updatedAt: clock.now() });
    });
  });

  describe('list', () => {
    async function allPages(userId: string, limit: number) {
      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const page = await notes.list(userId, { limit, cursor });
        pages.push(page.notes.map((n) => n.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor && pages.length < 50);
      return pages;
    }

    it('gives the owner’s notes only, newest first', async () => {
      const [mine, theirs] = [await owner(), await owner()];
      const first = await notes.create(mine, { title: 'first', body: '' });
      clock.advance('1s');
      const second = await notes.create(mine, { title: 'second', body: '' });
      await notes.create(theirs, { title: 'not mine', body: '' });
      const page = await notes.list(mine, { limit: 20 });
      expect(page.notes.map((n) => n.id)).toEqual([second.id, first.id]);
      expect(page.nextCursor).toBeNull();
    });

    it('pages through notes with equal timestamps: every note once, in one stable order, the last page without a cursor', async () => {
      const userId = await owner();
      const created = [];
      for (let i = 0; i < 23; i += 1) created.push(await notes.create(userId, { title: `same time ${i}`, body: '' }));
      const pages = await allPages(userId, 5);
      expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 3]);
      const expected = created.map((n) => n.id).sort().reverse(); // equal created_at: id descending
      expect(pages.flat()).toEqual(expected);
      expect(await allPages(userId, 5)).toEqual(pages);
    });

    it('ends without a cursor when the last page is exactly full', async () => {
      const userId = await owner();
      for (let i = 0; i < 4; i += 1) {
        clock.advance('1s');
        await notes.create(userId, { title: `n${i}`, body: '' });
      }
      const pages = await allPages(userId, 2);
      expect(pages.map((p) => p.length)).toEqual([2, 2]);
    });

    it('neither repeats nor skips a note when notes are added or deleted between pages', async () => {
      const userId = await owner();
      const older = [];
      for (let i = 0; i < 6; i += 1) {
        clock.advance('1s');
        older.push(await notes.create(userId, { title: `n${i}`, body: '' }));
      }
      const first = await notes.list(userId, { limit: 3 });
      clock.advance('1s');
      await notes.create(userId, { title: 'newer than the cursor', body: '' });
      await notes.remove(userId, first.notes[0].id);
      const second = await notes.list(userId, { limit: 3, cursor: first.nextCursor! });
      expect([...first.notes, ...second.notes].map((n) => n.id)).toEqual(older.map((n) => n.id).reverse());
    });

    it('reads each page by the index (user_id, created_at, id), with no sort step', async () => {
      const userId = await owner();
      for (let i = 0; i < 30; i += 1) await notes.create(userId, { title: `n${i}`, body: '' });
      const { nextCursor } = await notes.list(userId, { limit: 5 });
      const statements: string[] = [];
      const record = (_result: unknown, query: { sql?: string }) => void (query.sql && statements.push(query.sql));
      ctx.db.sequelize.addHook('afterQuery', 'record', record as never);
      try {
        await notes.list(userId, { limit: 5, cursor: nextCursor! });
      } finally {
        ctx.db.sequelize.removeHook('afterQuery', 'record');
      }
      const [listing] = statements.filter((sql) => /FROM [`"]?notes[`"]?/i.test(sql));
      expect(listing).toBeDefined();
      const plan = await explain(listing);
      expect(plan).toMatch(/notes_user_id_created_at_id/);
      // The cursor bounds the index range itself (SQLite's search key, PostgreSQL's Index Cond), not a filter over the owner's every row.
      expect(plan).toMatch(/\(user_id=\? AND \(created_at,id\)<\(\?,\?\)\)|Index Cond: .*ROW\(created_at, id\) < ROW/);
      expect(plan).not.toMatch(/TEMP B-TREE|Sort/i);
    });

    async function explain(sql: string): Promise<string> {
      const select = sql.replace(/;\s*$/, '');
      if (dialect === 'sqlite') {
        const rows = await ctx.db.sequelize.query<{ detail: string }>(`EXPLAIN QUERY PLAN ${select}`, { type: QueryTypes.SELECT });
        return rows.map((r) => r.detail).join('\n');
      }
      await ctx.db.sequelize.query('ANALYZE notes');
      return ctx.db.sequelize.transaction(async (transaction) => {
        // A few dozen rows: the planner would rightly scan the table; ask what it does when that is not an option.
        await ctx.db.sequelize.query('SET LOCAL enable_seqscan = off', { transaction });
        const rows = await ctx.db.sequelize.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${select}`, { type: QueryTypes.SELECT, transaction });
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      });
    }
  });

  describe('find', () => {
    it('gives the owner their note, whatever the case of the id', async () => {
      const userId = await owner();
      const note = await notes.create(userId, { title: 't', body: 'b' });
      expect((await notes.find({ userId, readAny: false }, note.id)).id).toBe(note.id);
      expect((await notes.find({ userId, readAny: false }, note.id.toUpperCase())).id).toBe(note.id);
    });

    it('says NotFound for another user’s note, a missing one and ids that are not UUIDs', async () => {
      const note = await notes.create(await owner(), { title: 't', body: 'b' });
      const reader = { userId: await owner(), readAny: false };
      await expectNotFound(notes.find(reader, note.id));
      await expectNotFound(notes.find(reader, randomUUID()));
      for (const malformed of ['', 'abc', "' OR '1'='1", `${note.id}x`, '\u0000', 'é'.repeat(36)]) await expectNotFound(notes.find(reader, malformed));
    });

    it('gives any note to a reader who may read any', async () => {
      const note = await notes.create(await owner(), { title: 't', body: 'b' });
      expect((await notes.find({ userId: await owner(), readAny: true }, note.id)).id).toBe(note.id);
    });
  });

  describe('update', () => {
    it('changes what it is given and the update time, nothing else', async () => {
      const userId = await owner();
      const note = await notes.create(userId, { title: 'old title', body: 'old body' });
      clock.advance('1m');
      const updated = await notes.update(userId, note.id, { title: 'new title' });
      expect(updated.get({ plain: true })).toEqual({ ...note.get({ plain: true }), title: 'new title', updatedAt: clock.now() });
      expect((await notes.update(userId, note.id, { body: '' })).get({ plain: true })).toMatchObject({ title: 'new title', body: '' });
    });

    it('says NotFound and changes nothing for another user’s note, a missing one and a malformed id', async () => {
      const note = await notes.create(await owner(), { title: 'theirs', body: 'theirs' });
      const intruder = await owner();
      await expectNotFound(notes.update(intruder, note.id, { title: 'mine now' }));
      await expectNotFound(notes.update(intruder, randomUUID(), { title: 'x' }));
      await expectNotFound(notes.update(intruder, 'not-a-uuid', { title: 'x' }));
      expect((await ctx.db.Note.findByPk(note.id))!.title).toBe('theirs');
    });
  });

  describe('remove', () => {
    it('deletes the owner’s note; another user’s, a missing one and a malformed id are NotFound', async () => {
      const userId = await owner();
      const note = await notes.create(userId, { title: 't', body: 'b' });
      await expectNotFound(notes.remove(await owner(), note.id));
      await expectNotFound(notes.remove(userId, randomUUID()));
      await expectNotFound(notes.remove(userId, 'nope'));
      expect(await ctx.db.Note.findByPk(note.id)).not.toBeNull();
      await notes.remove(userId, note.id);
      expect(await ctx.db.Note.findByPk(note.id)).toBeNull();
      await expectNotFound(notes.remove(userId, note.id));
    });
  });

  it('loses a user’s notes with the user (ON DELETE CASCADE), and only theirs', async () => {
    const [gone, stays] = [await owner(), await owner()];
    await notes.create(gone, { title: 't', body: 'b' });
    const kept = await notes.create(stays, { title: 't', body: 'b' });
    await ctx.db.User.destroy({ where: { id: gone } });
    expect(await ctx.db.Note.count({ where: { userId: gone } })).toBe(0);
    expect(await ctx.db.Note.findByPk(kept.id)).not.toBeNull();
  });
});
