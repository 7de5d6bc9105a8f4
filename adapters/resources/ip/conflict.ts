import { ResourceError } from '../../../domain/errors.js';

/**
 * The service address already answers somewhere: another node runs the
 * service, or someone else took the address. The engine turns this into
 * `start aborted due to resource ip#0 conflict` instead of a plain failure.
 */
export class IpConflictError extends ResourceError {
  readonly conflict = true as const;
  readonly addr: string;
  constructor(rid: string, addr: string, how: string, options?: ErrorOptions) {
    super(rid, `${addr} is already in use: it answers ${how}`, options);
    this.addr = addr;
    this.name = 'IpConflictError';
  }
}

export function isIpConflict(err: unknown): err is IpConflictError {
  return err instanceof IpConflictError;
}
