/**
 * What went wrong, as the contract tells a caller: a code a UI can branch on, and the HTTP status
 * the admin door answers with. Each error a caller can cause extends `RelayError`, so the handlers
 * map failures by their code, not by a list of classes.
 */
export const ERROR_STATUS = {
  bad_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class RelayError extends Error {
  override readonly name: string = 'RelayError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

/** Something asked for by id or name that is not there. */
export class NotFoundError extends RelayError {
  override readonly name: string = 'NotFoundError';
  constructor(message: string) {
    super('not_found', message);
  }
}

/** An action that cannot be done as asked in the relay's present state: shown with its reason, not as a crash. */
export class ConflictError extends RelayError {
  override readonly name: string = 'ConflictError';
  constructor(message: string) {
    super('conflict', message);
  }
}

/** A call the caller's role allows in general, but not this use of it. */
export class ForbiddenError extends RelayError {
  override readonly name: string = 'ForbiddenError';
  constructor(message: string) {
    super('forbidden', message);
  }
}

/** Input the schema let through that still cannot work (a window that ends before it starts). */
export class BadInputError extends RelayError {
  override readonly name: string = 'BadInputError';
  constructor(message: string) {
    super('bad_input', message);
  }
}
