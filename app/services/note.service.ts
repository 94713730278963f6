import { Op } from 'sequelize';
import type { Database, NoteRow } from '../../models';
import type { Clock } from '../clock';
import { NotFound } from './errors';

/** A note as the API shows it. */
export interface NoteView {
  id: string;
  user_id: string;
  title: string;
  body: string;
  created_at: string;
  updated_at: string;
}

export const toNoteView = (note: NoteRow): NoteView => ({
  id: note.id,
  user_id: note.userId,
  title: note.title,
  body: note.body,
  created_at: note.createdAt.toISOString(),
  updated_at: note.updatedAt.toISOString(),
});

/** Who reads a note: its owner, or a holder of notes:read:any, who may read anyone's. */
export interface NoteReader {
  userId: string;
  readAny: boolean;
}

export interface NotePage {
  notes: NoteRow[];
  /** Where the next page starts; null on the last page. */
  nextCursor: string | null;
}

export interface NoteService {
  create(ownerId: string, input: { title: string; body: string }): Promise<NoteRow>;
  /** The owner's notes, newest first (ties by id), `limit` at a time from `cursor` (one a previous page gave). */
  list(ownerId: string, page: { limit: number; cursor?: string }): Promise<NotePage>;
  find(reader: NoteReader, noteId: string): Promise<NoteRow>;
  update(ownerId: string, noteId: string, changes: { title?: string; body?: string }): Promise<NoteRow>;
  remove(ownerId: string, noteId: string): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A page's position: the last note's created_at (milliseconds) and id, opaque to
 * clients (base64url). Keyset, not offset: a page is where the previous one
 * ended, so notes added or deleted meanwhile neither repeat nor go missing.
 */
export function encodeCursor(note: NoteRow): string {
  return Buffer.from(`${note.createdAt.getTime()}.${note.id}`).toString('base64url');
}

/** The position in a cursor, or null when it is not one this service gave out. */
export function decodeCursor(cursor: string): { createdAt: Date; id: string } | null {
  if (cursor.length > 100 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  const match = /^(\d{1,15})\.(.+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match || !UUID.test(match[2])) return null;
  return { createdAt: new Date(Number(match[1])), id: match[2].toLowerCase() };
}

/**
 * Notes belong to their owner: every statement names the owner, so a note of
 * someone else is exactly as absent as one that never existed (NotFound, the
 * same words), on every verb; only reading may be widened, by `readAny`.
 */
export function createNoteService(db: Database, clock: Clock): NoteService {
  const { Note } = db;
  const notFound = () => new NotFound('note_not_found', 'No note has that id.');
  /** Ids are UUIDs; anything else names no note, and is never sent to the database (PostgreSQL would refuse the cast). */
  const noteKey = (noteId: string) => (UUID.test(noteId) ? noteId.toLowerCase() : null);

  async function ownedBy(ownerId: string, noteId: string): Promise<NoteRow> {
    const id = noteKey(noteId);
    const note = id === null ? null : await Note.findOne({ where: { id, userId: ownerId } });
    if (!note) throw notFound();
    return note;
  }

  return {
    create(ownerId, { title, body }) {
      const now = clock.now();
      return Note.create({ userId: ownerId, title, body, createdAt: now, updatedAt: now });
    },

    async list(ownerId, { limit, cursor }) {
      const after = cursor === undefined ? null : decodeCursor(cursor);
      if (cursor !== undefined && !after) throw new TypeError('not a note cursor (the validator lets none through)');
      // (created_at, id) < (…): a row-value comparison both dialects read as one range of the index.
      const where = after
        ? { userId: ownerId, [Op.and]: [db.sequelize.literal(`(created_at, id) < (${db.sequelize.escape(after.createdAt)}, ${db.sequelize.escape(after.id)})`)] }
        : { userId: ownerId };
      const rows = await Note.findAll({ where, order: [['createdAt', 'DESC'], ['id', 'DESC']], limit: limit + 1 });
      const notes = rows.slice(0, limit);
      return { notes, nextCursor: rows.length > limit ? encodeCursor(notes[notes.length - 1]) : null };
    },

    async find({ userId, readAny }, noteId) {
      if (!readAny) return ownedBy(userId, noteId);
      const id = noteKey(noteId);
      const note = id === null ? null : await Note.findByPk(id);
      if (!note) throw notFound();
      return note;
    },

    async update(ownerId, noteId, changes) {
      const id = noteKey(noteId);
      // One statement that names the owner: nobody else's note can change, whatever runs meanwhile.
      const [count] = id === null ? [0] : await Note.update({ ...changes, updatedAt: clock.now() }, { where: { id, userId: ownerId } });
      if (count === 0) throw notFound();
      return ownedBy(ownerId, noteId);
    },

    async remove(ownerId, noteId) {
      const id = noteKey(noteId);
      const count = id === null ? 0 : await Note.destroy({ where: { id, userId: ownerId } });
      if (count === 0) throw notFound();
    },
  };
}
