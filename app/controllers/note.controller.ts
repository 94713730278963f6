import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import { can } from '../auth/permissions';
import { NoteService, toNoteView } from '../services/note.service';

const DEFAULT_LIMIT = 20;

export function createNoteController(notes: NoteService) {
  return {
    /** POST /notes: the caller's new note, with its Location. */
    async create(req: Request, res: Response) {
      const { title, body = '' } = matchedData(req) as { title: string; body?: string };
      const note = await notes.create(req.user!.id, { title, body });
      res.status(201).location(`/notes/${note.id}`).json(toNoteView(note));
    },

    /** GET /notes: a page of the caller's notes and where the next one starts. */
    async list(req: Request, res: Response) {
      const { limit, cursor } = matchedData(req) as { limit?: string; cursor?: string };
      const page = await notes.list(req.user!.id, { limit: limit === undefined ? DEFAULT_LIMIT : Number(limit), cursor });
      res.json({ notes: page.notes.map(toNoteView), next_cursor: page.nextCursor });
    },

    /** GET /notes/:id: the caller's note, or anyone's for a holder of notes:read:any. */
    async show(req: Request, res: Response) {
      const reader = { userId: req.user!.id, readAny: can(req.user!.role, 'notes:read:any') };
      res.json(toNoteView(await notes.find(reader, req.params.id as string)));
    },

    /** PATCH /notes/:id: the caller's note only, whatever their permissions. */
    async update(req: Request, res: Response) {
      const { title, body } = matchedData(req) as { title?: string; body?: string };
      const changes = { ...(title === undefined ? {} : { title }), ...(body === undefined ? {} : { body }) };
      res.json(toNoteView(await notes.update(req.user!.id, req.params.id as string, changes)));
    },

    /** DELETE /notes/:id: the caller's note only. */
    async remove(req: Request, res: Response) {
      await notes.remove(req.user!.id, req.params.id as string);
      res.status(204).end();
    },
  };
}
