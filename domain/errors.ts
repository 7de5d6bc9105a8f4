/**
 * Errors a user can act on. The code maps to the CLI exit code; the message is
 * one line written for the person at the terminal (file, section, keyword, value).
 */
export type ErrorCode =
  | 'USAGE'
  | 'CONFIG'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'RESOURCE'
  | 'ACTION'
  | 'UNAVAILABLE'
  | 'EVENT_INVALID'
  | 'INTERNAL';

export class HasvcError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = 'HasvcError';
  }
}

export class UsageError extends HasvcError {
  constructor(message: string, options?: ErrorOptions) {
    super('USAGE', message, options);
    this.name = 'UsageError';
  }
}

export class ConfigError extends HasvcError {
  /** one line per problem */
  readonly problems: readonly string[];
  constructor(problems: readonly string[], options?: ErrorOptions) {
    super('CONFIG', problems.join('\n'), options);
    this.problems = problems;
    this.name = 'ConfigError';
  }
}

export class NotFoundError extends HasvcError {
  constructor(message: string, options?: ErrorOptions) {
    super('NOT_FOUND', message, options);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends HasvcError {
  constructor(message: string, options?: ErrorOptions) {
    super('CONFLICT', message, options);
    this.name = 'ConflictError';
  }
}

export class ResourceError extends HasvcError {
  readonly rid: string;
  constructor(rid: string, message: string, options?: ErrorOptions) {
    super('RESOURCE', message, options);
    this.rid = rid;
    this.name = 'ResourceError';
  }
}

export class UnavailableError extends HasvcError {
  constructor(message: string, options?: ErrorOptions) {
    super('UNAVAILABLE', message, options);
    this.name = 'UnavailableError';
  }
}

/** 0 ok, 1 failure, 2 usage: the CLI convention. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof HasvcError && err.code === 'USAGE') return 2;
  return 1;
}
