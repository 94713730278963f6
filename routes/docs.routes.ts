import { Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import { buildOpenApiDocument, DocumentOptions } from '../app/docs/openapi';
import type { ApiDocs } from '../app/docs/parts';

/** GET /openapi.json (the document: the server's routes and each app resource's docs) and GET /docs (Swagger UI, with Authorize for the bearer scheme). */
export function docsRoutes(appDocs: readonly ApiDocs[] = [], options: DocumentOptions = {}): Router {
  const document = buildOpenApiDocument(appDocs, options);
  return Router()
    .get('/openapi.json', (_req, res) => {
      res.json(document);
    })
    .use('/docs', swaggerUi.serve, swaggerUi.setup(document, { swaggerOptions: { persistAuthorization: false } }));
}
