import { Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import { buildOpenApiDocument } from '../app/docs/openapi';
import type { ApiDocs } from '../app/docs/parts';

/** GET /openapi.json (the document: the server's routes and each app resource's docs) and GET /docs (Swagger UI, with Authorize for the bearer scheme). */
export function docsRoutes(appDocs: readonly ApiDocs[] = []): Router {
  const document = buildOpenApiDocument(appDocs);
  return Router()
    .get('/openapi.json', (_req, res) => {
      res.json(document);
    })
    .use('/docs', swaggerUi.serve, swaggerUi.setup(document, { swaggerOptions: { persistAuthorization: false } }));
}
