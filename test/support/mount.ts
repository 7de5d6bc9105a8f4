import type { TestScope } from './scope.js';

/**
 * Unmount `mnt` at close() if it is mounted then: register it before asking
 * a driver (or mount(8)) to mount it, so a failing test still unmounts.
 */
export function trackMount(scope: TestScope, mnt: string): void {
  scope.track({ kind: 'mount', mnt });
}
