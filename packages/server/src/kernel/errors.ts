import { ERRORS, type ErrorBody, type ErrorCode } from '@kurier/protocol';

/** The one error the server throws on purpose; converted to the wire once, at the edge. */
export class KurierError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, options: { message?: string; cause?: unknown; details?: unknown } = {}) {
    super(options.message ?? ERRORS[code].message, { cause: options.cause });
    this.name = 'KurierError';
    this.code = code;
    this.details = options.details;
  }

  /** HTTP status for this code. */
  get status(): number {
    return ERRORS[this.code].status;
  }
}

/** Turns anything thrown into a KurierError; unknown throws become INTERNAL (and are reportable). */
export function toKurierError(err: unknown): KurierError {
  if (err instanceof KurierError) return err;
  return new KurierError('INTERNAL', { cause: err });
}

/** The wire body for an error. */
export function errorBody(err: KurierError): ErrorBody {
  const body: ErrorBody = { error: { code: err.code, message: err.message } };
  if (err.details !== undefined) body.error.details = err.details;
  return body;
}

/** A value-or-error result for callers that must branch (see house style rule 5). */
export type Result<TValue> = { ok: true; value: TValue } | { ok: false; error: KurierError };
