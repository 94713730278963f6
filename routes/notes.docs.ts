import { error, GUARDED, json, ref, UNAUTHORIZED } from '../app/docs/parts';
import type { ApiDocs } from '../app/docs/parts';

const notFound = error('note_not_found: no such note for the caller. A note that does not exist, another user’s and a malformed id get this same answer.');
const invalid = error('Invalid input, with per-field messages');
const id = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const text = {
  title: { type: 'string', minLength: 1, maxLength: 200, description: '1 to 200 Unicode code points, no NUL', example: 'Groceries' },
  body: {
    type: 'string',
    maxLength: 10000,
    description: '0 to 10,000 Unicode code points, no NUL (the whole request stays within the server’s 16 KB body limit)',
    example: 'milk, eggs',
  },
};

/** The OpenAPI entries of routes/notes.routes.ts. */
export const noteDocs: ApiDocs = {
  tags: [{ name: 'notes', description: 'The caller’s own notes (the worked example of an app resource)' }],
  paths: {
    '/notes': {
      get: {
        tags: ['notes'],
        summary: 'The caller’s notes, newest first, a page at a time',
        security: GUARDED,
        parameters: [
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
          { name: 'cursor', in: 'query', required: false, schema: { type: 'string' }, description: 'next_cursor of the previous page' },
        ],
        responses: { 200: { description: 'A page', content: json('NoteList') }, 400: invalid, 401: UNAUTHORIZED },
      },
      post: {
        tags: ['notes'],
        summary: 'Write a note',
        security: GUARDED,
        requestBody: { required: true, content: json('NewNote') },
        responses: {
          201: { description: 'Created', headers: { Location: { schema: { type: 'string' }, description: '/notes/{id}' } }, content: json('Note') },
          400: invalid,
          401: UNAUTHORIZED,
        },
      },
    },
    '/notes/{id}': {
      get: {
        tags: ['notes'],
        summary: 'One of the caller’s notes (any note, with the permission notes:read:any)',
        security: GUARDED,
        parameters: [id],
        responses: { 200: { description: 'The note', content: json('Note') }, 401: UNAUTHORIZED, 404: notFound },
      },
      patch: {
        tags: ['notes'],
        summary: 'Change the title, the body or both of one of the caller’s notes',
        security: GUARDED,
        parameters: [id],
        requestBody: { required: true, content: json('NoteChanges') },
        responses: { 200: { description: 'The changed note', content: json('Note') }, 400: invalid, 401: UNAUTHORIZED, 404: notFound },
      },
      delete: {
        tags: ['notes'],
        summary: 'Delete one of the caller’s notes',
        security: GUARDED,
        parameters: [id],
        responses: { 204: { description: 'Deleted' }, 401: UNAUTHORIZED, 404: notFound },
      },
    },
  },
  schemas: {
    Note: {
      type: 'object',
      required: ['id', 'user_id', 'title', 'body', 'created_at', 'updated_at'],
      properties: {
        id: { type: 'string', format: 'uuid' },
        user_id: { type: 'string', format: 'uuid', description: 'The owner' },
        title: { type: 'string' },
        body: { type: 'string' },
        created_at: { type: 'string', format: 'date-time' },
        updated_at: { type: 'string', format: 'date-time' },
      },
    },
    NoteList: {
      type: 'object',
      required: ['notes', 'next_cursor'],
      properties: {
        notes: { type: 'array', items: ref('Note') },
        next_cursor: { type: 'string', nullable: true, description: 'Pass as ?cursor= for the next page; null on the last page' },
      },
    },
    NewNote: { type: 'object', required: ['title'], properties: text },
    NoteChanges: { type: 'object', minProperties: 1, properties: text },
  },
};
