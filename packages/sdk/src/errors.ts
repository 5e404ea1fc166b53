import type { ErrorBody, ErrorCode } from '@kurier/protocol';

/** A failure reported by the server (HTTP or WS), with its stable code. */
export class KurierApiError extends Error {
  readonly code: ErrorCode | 'NETWORK';
  readonly status: number | null;

  constructor(code: ErrorCode | 'NETWORK', message: string, status: number | null = null) {
    super(message);
    this.name = 'KurierApiError';
    this.code = code;
    this.status = status;
  }
}

/** Codes where retrying the same request cannot succeed: drop it from the outbox. */
export function isPermanent(code: KurierApiError['code']): boolean {
  return code !== 'NETWORK' && code !== 'RATE_LIMITED' && code !== 'INTERNAL' && code !== 'SHUTTING_DOWN';
}

/** The typed error of a failed HTTP response (`{ error: { code, message } }`). */
export async function responseError(res: Response): Promise<KurierApiError> {
  const e = ((await res.json().catch(() => null)) as ErrorBody | null)?.error;
  return new KurierApiError(e?.code ?? 'INTERNAL', e?.message ?? res.statusText, res.status);
}
