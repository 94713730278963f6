/**
 * The page's only door to the server: fetch with JSON in and out, a timeout, and
 * every refusal turned into an ApiError carrying the server's stable `code`.
 */

export interface FieldMessage {
  field: string;
  message: string;
}

/** A refusal from the server: its status, stable code, description and (on 400) per-field messages. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
    readonly fields: FieldMessage[],
    /** Seconds to wait before trying again (429 and 503), when the server said. */
    readonly retryAfter: number | null,
  ) {
    super(description);
    this.name = 'ApiError';
  }
}

/** The request never got an answer: the server is down, the network is gone, or it timed out. */
export class Unreachable extends Error {
  constructor() {
    super('The server could not be reached.');
    this.name = 'Unreachable';
  }
}

/** A token response; with cookie delivery it carries no refresh_token (that stays in the HttpOnly cookie). */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

export interface Profile {
  id: string;
  username: string;
  email: string | null;
  /** Whether the person confirmed `email` through the link mailed to it. */
  email_verified: boolean;
  created_at: string;
}

export interface CallOptions {
  method?: 'GET' | 'POST' | 'PUT';
  body?: unknown;
  accessToken?: string;
  /** Ask for the refresh token as an HttpOnly cookie instead of in the body. */
  cookieDelivery?: boolean;
}

const TIMEOUT_MS = 10_000;

function retryAfterSeconds(header: string | null): number | null {
  if (header === null) return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

function toApiError(response: Response, data: unknown): ApiError {
  const body = (data ?? {}) as { code?: unknown; error_description?: unknown; errors?: unknown };
  const fields = Array.isArray(body.errors)
    ? body.errors.filter((f): f is FieldMessage => typeof f?.field === 'string' && typeof f?.message === 'string')
    : [];
  return new ApiError(
    response.status,
    typeof body.code === 'string' ? body.code : 'unknown',
    typeof body.error_description === 'string' ? body.error_description : `The server answered ${response.status}.`,
    fields,
    retryAfterSeconds(response.headers.get('Retry-After')),
  );
}

/** Calls the API on this page's own origin. Resolves with the JSON body (undefined for 204); rejects with ApiError or Unreachable. */
export async function call<T>(path: string, options: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.accessToken !== undefined) headers.Authorization = `Bearer ${options.accessToken}`;
  if (options.cookieDelivery) headers['Refresh-Token-Delivery'] = 'cookie';

  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: 'same-origin',
      cache: 'no-store',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch {
    throw new Unreachable();
  }
  if (response.status === 204) return undefined as T;
  const data: unknown = await response.json().catch(() => null);
  if (response.ok) return data as T;
  throw toApiError(response, data);
}
