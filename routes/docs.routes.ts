import { Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import { buildOpenApiDocument } from '../app/docs/openapi';

/** GET /openapi.json (the document) and GET /docs (Swagger UI, with Authorize for the bearer scheme). */
export function docsRoutes(): Router {
  const document = buildOpenApiDocument();
  return Router()
    .get('/openapi.json', (_req, res) => {
      res.json(document);
    })
    .use('/docs', swaggerUi.serve, swaggerUi.setup(document, { swaggerOptions: { persistAuthorization: false } }));
}
