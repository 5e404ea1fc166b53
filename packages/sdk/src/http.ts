import { KurierApiError, responseError } from './errors.js';

/** A request body: JSON, or text of a given type (CSV). */
export type HttpBody = { json: unknown } | { text: string; contentType: string };

/**
 * The REST transport: the server's origin plus the session's bearer token. Every failure becomes
 * a KurierApiError (the server's code, or `NETWORK`).
 */
export class Http {
  readonly #baseUrl: string;
  readonly #token: () => string | null;

  constructor(baseUrl: string, token: () => string | null) {
    this.#baseUrl = baseUrl;
    this.#token = token;
  }

  async fetch(method: string, path: string, body?: HttpBody): Promise<Response> {
    const headers: Record<string, string> = {};
    if (body) headers['content-type'] = 'json' in body ? 'application/json' : body.contentType;
    const token = this.#token();
    if (token) headers.authorization = `Bearer ${token}`;
    let res: Response;
    try {
      res = await fetch(`${this.#baseUrl}${path}`, {
        method,
        headers,
        body: !body ? undefined : 'json' in body ? JSON.stringify(body.json) : body.text,
      });
    } catch (err) {
      throw new KurierApiError('NETWORK', err instanceof Error ? err.message : 'network error');
    }
    if (!res.ok) throw await responseError(res);
    return res;
  }

  /** A JSON answer (undefined for 204). */
  async json<TResult>(method: string, path: string, body?: HttpBody): Promise<TResult> {
    const res = await this.fetch(method, path, body);
    if (res.status === 204) return undefined as TResult;
    return (await res.json().catch(() => null)) as TResult;
  }
}
