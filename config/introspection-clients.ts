/** A resource server allowed to call POST /token/introspect with HTTP Basic credentials. */
export interface IntrospectionClient {
  name: string;
  secret: string;
}

/**
 * INTROSPECTION_CLIENTS: comma-separated `name:secret` pairs. Secrets are at least
 * 32 bytes, like every other secret here; a name may not hold a colon (RFC 7617
 * splits user-id from password at the first one). Empty: introspection is off.
 */
export function parseIntrospectionClients(raw: string | undefined, problems: string[]): IntrospectionClient[] {
  const clients: IntrospectionClient[] = [];
  for (const entry of (raw ?? '').split(',').map((part) => part.trim()).filter(Boolean)) {
    const colon = entry.indexOf(':');
    const name = colon === -1 ? entry : entry.slice(0, colon);
    const secret = colon === -1 ? '' : entry.slice(colon + 1);
    if (!/^[\w.-]{1,64}$/.test(name)) {
      problems.push(`INTROSPECTION_CLIENTS entries must be name:secret with a name of letters, digits, ".", "_" or "-" (got a name "${name}")`);
    } else if (Buffer.byteLength(secret) < 32) {
      problems.push(`INTROSPECTION_CLIENTS: the secret of "${name}" must be at least 32 bytes long`);
    } else if (clients.some((client) => client.name === name)) {
      problems.push(`INTROSPECTION_CLIENTS names "${name}" twice`);
    } else {
      clients.push({ name, secret });
    }
  }
  return clients;
}
