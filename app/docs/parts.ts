/**
 * Building blocks of OpenAPI entries, shared by the server's own document
 * (openapi.ts) and the docs an app resource keeps beside its routes
 * (routes/<domain>.docs.ts), so every guarded route says 401 the same way.
 */

/** What one resource adds to /openapi.json: its paths, the component schemas they `$ref`, and its tags. */
export interface ApiDocs {
  paths: Record<string, Record<string, unknown>>;
  schemas?: Record<string, unknown>;
  tags?: Array<{ name: string; description?: string }>;
}

export const ref = (schema: string) => ({ $ref: `#/components/schemas/${schema}` });
/** A JSON body (request or response) of a component schema. */
export const json = (schema: string) => ({ 'application/json': { schema: ref(schema) } });
/** An error response: the one Error shape (error, error_description, code, errors). */
export const error = (description: string) => ({ description, content: json('Error') });

/** The `security` of a route behind requireAccessToken: a bearer token, or Swagger UI's password login. */
export const GUARDED = [{ bearerAuth: [] }, { passwordLogin: [] }];
export const UNAUTHORIZED = error('Missing, invalid, expired or revoked access token (WWW-Authenticate: Bearer …)');
/** The 403 of requirePermission(permission). */
export const insufficientScope = (permission: string) => error(`insufficient_scope: the caller’s role lacks the permission ${permission}`);
