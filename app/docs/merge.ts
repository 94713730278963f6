import type { ApiDocs } from './parts';

interface Document {
  paths: Record<string, unknown>;
  components: { schemas: Record<string, unknown> } & Record<string, unknown>;
  tags?: Array<{ name: string; description?: string }>;
}

/**
 * The server's document with each app resource's docs added. A path or schema
 * documented twice, or a `$ref` that points nowhere, stops the app from being
 * built: better a failed start than a /docs page that quietly shows one of two
 * descriptions, or a broken reference Swagger UI renders as an empty box.
 */
export function mergeApiDocs<D extends Document>(document: D, parts: readonly ApiDocs[]): D {
  const paths: Record<string, unknown> = { ...document.paths };
  const schemas: Record<string, unknown> = { ...document.components.schemas };
  const tags = [...(document.tags ?? [])];
  for (const part of parts) {
    for (const [path, item] of Object.entries(part.paths)) {
      if (Object.hasOwn(paths, path)) throw new Error(`OpenAPI: the path ${path} is documented twice`);
      paths[path] = item;
    }
    for (const [name, schema] of Object.entries(part.schemas ?? {})) {
      if (Object.hasOwn(schemas, name)) throw new Error(`OpenAPI: the schema ${name} is defined twice`);
      schemas[name] = schema;
    }
    tags.push(...(part.tags ?? []));
  }
  const merged = { ...document, paths, components: { ...document.components, schemas }, ...(tags.length > 0 ? { tags } : {}) };
  for (const target of references(merged)) {
    if (resolve(merged, target) === undefined) throw new Error(`OpenAPI: ${target} is referenced but not defined`);
  }
  return merged;
}

/** Every local `$ref` ("#/components/…") in the document. */
function references(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) references(item, found);
  else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string') found.add(inner);
      else references(inner, found);
    }
  }
  return found;
}

/** A JSON pointer ("#/components/schemas/Note") into the document. */
function resolve(document: unknown, pointer: string): unknown {
  if (!pointer.startsWith('#/')) return undefined;
  let here: unknown = document;
  for (const step of pointer.slice(2).split('/')) {
    if (!here || typeof here !== 'object' || !Object.hasOwn(here, step)) return undefined;
    here = (here as Record<string, unknown>)[step];
  }
  return here;
}
