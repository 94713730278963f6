import request from 'supertest';
import { createTestContext, TestContext } from '../helpers/app';

type Operation = { security?: unknown[]; responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>; parameters?: Array<{ name: string; in: string }>; requestBody?: { content: Record<string, unknown> } };

/** The admin routes in /openapi.json: each with its answers, the bearer scheme, and schemas that resolve. */
describe('the admin API in the OpenAPI document', () => {
  let ctx: TestContext;
  let doc: { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };

  beforeAll(async () => {
    ctx = await createTestContext();
    doc = (await request(ctx.app).get('/openapi.json').expect(200)).body;
  });
  afterAll(() => ctx.close());

  it.each([
    ['get', '/admin/users', ['200', '400', '401', '403']],
    ['get', '/admin/users/{id}', ['200', '401', '403', '404']],
    ['patch', '/admin/users/{id}', ['200', '400', '401', '403', '404', '409']],
    ['post', '/admin/users/{id}/sessions/revoke', ['204', '401', '403', '404']],
  ])('documents %s %s with responses %j and the bearer scheme', (method, path, statuses) => {
    const operation = doc.paths[path]?.[method];
    expect(operation).toBeDefined();
    expect(Object.keys(operation.responses).sort()).toEqual(statuses);
    expect(operation.security).toEqual(expect.arrayContaining([{ bearerAuth: [] }]));
    expect(JSON.stringify(operation.responses['403'])).toMatch(/insufficient_scope/);
    for (const response of Object.values(operation.responses)) {
      for (const media of Object.values(response.content ?? {})) {
        const name = media.schema.$ref?.replace('#/components/schemas/', '');
        if (name) expect(doc.components.schemas).toHaveProperty(name);
      }
    }
    if (path.includes('{id}')) expect(operation.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'id', in: 'path' })]));
  });

  it('documents the list parameters and the PATCH body, JSON or form', () => {
    const names = doc.paths['/admin/users'].get.parameters!.map((p) => `${p.in}:${p.name}`);
    expect(names.sort()).toEqual(['query:cursor', 'query:limit', 'query:q']);
    expect(Object.keys(doc.paths['/admin/users/{id}'].patch.requestBody!.content).sort()).toEqual(['application/json', 'application/x-www-form-urlencoded']);
    expect(doc.components.schemas).toHaveProperty('AdminUser');
    expect(JSON.stringify(doc.components.schemas.AdminUser)).not.toMatch(/password|hash/i);
  });
});
