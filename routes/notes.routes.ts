import { Router } from 'express';
import { requireAccessToken } from '../app/auth/guards';
import { createNoteController } from '../app/controllers/note.controller';
import { createNoteService } from '../app/services/note.service';
import { createNoteRules, listNotesRules, updateNoteRules } from '../app/validators/note.validator';
import { validate } from '../middleware/validate';
import { noteDocs } from './notes.docs';
import type { AppResource, ResourceDeps } from './types';

/**
 * Notes, each its owner's: every route needs an access token, then validation,
 * then the service, which names the owner in every statement, so another user's
 * note is the same 404 as one that does not exist. Reading one note is widened
 * for holders of notes:read:any (admins); changing and deleting never are.
 */
export function noteRoutes(router: Router, { db, clock }: ResourceDeps): Router {
  const notes = createNoteController(createNoteService(db, clock));
  return router
    .post('/notes', requireAccessToken, validate(createNoteRules), notes.create)
    .get('/notes', requireAccessToken, validate(listNotesRules), notes.list)
    .get('/notes/:id', requireAccessToken, notes.show)
    .patch('/notes/:id', requireAccessToken, validate(updateNoteRules), notes.update)
    .delete('/notes/:id', requireAccessToken, notes.remove);
}

export const notes: AppResource = { routes: noteRoutes, docs: noteDocs };
