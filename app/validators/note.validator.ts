import { body, query } from 'express-validator';
import { decodeCursor } from '../services/note.service';
import { stringField } from './fields';

// PostgreSQL's text cannot hold U+0000; no note needs it. Refused here, on every dialect alike.
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const NO_NUL = /^[^\u0000]*$/;
const title = (optional: boolean) =>
  stringField('title', { min: 1, max: 200, optional, pattern: NO_NUL, patternMessage: 'title must not contain NUL characters' });
const noteBody = stringField('body', { min: 0, max: 10_000, optional: true, pattern: NO_NUL, patternMessage: 'body must not contain NUL characters' });

/** POST /notes: a title of 1 to 200 code points, a body of 0 to 10,000 (empty when left out). */
export const createNoteRules = [title(false), noteBody];

/** PATCH /notes/:id: the title, the body or both. */
export const updateNoteRules = [
  body('title')
    .custom((_value, { req }) => req.body?.title !== undefined || req.body?.body !== undefined)
    .withMessage('send title, body or both'),
  title(true),
  noteBody,
];

/** GET /notes: `limit` 1 to 100, and `cursor` a next_cursor this server gave (each at most once). */
export const listNotesRules = [
  query('limit')
    .optional({ values: 'undefined' })
    .custom((value) => typeof value === 'string' && /^\d{1,3}$/.test(value) && Number(value) >= 1 && Number(value) <= 100)
    .withMessage('limit must be a whole number from 1 to 100'),
  query('cursor')
    .optional({ values: 'undefined' })
    .custom((value) => typeof value === 'string' && decodeCursor(value) !== null)
    .withMessage('cursor must be the next_cursor of an earlier page'),
];
