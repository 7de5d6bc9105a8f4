import fs from 'node:fs';

/**
 * What a node does to itself when it loses the quorum and its split action
 * is crash or reboot: the kernel's magic SysRq, as OpenSVC does (`c` crashes
 * at once, `b` reboots without syncing or unmounting: a node that may no
 * longer own its storage must not write to it on the way down).
 *
 * Refused where the environment says HASVC_NO_HOST_ACTIONS (tests, the lab,
 * the demo: the nodes there share the machine's kernel, and crashing one
 * would take the whole machine down). The caller then falls back to
 * freezestop and records what it did.
 */
export type HostAction = 'crash' | 'reboot';

export function hostActionsAllowed(env: NodeJS.ProcessEnv): boolean {
  return env.HASVC_NO_HOST_ACTIONS === undefined || env.HASVC_NO_HOST_ACTIONS === '' || env.HASVC_NO_HOST_ACTIONS === '0';
}

/** Crash or reboot this machine now. Returns only when it could not (the reason). */
export function runHostAction(action: HostAction, env: NodeJS.ProcessEnv): string {
  if (!hostActionsAllowed(env)) return `${action} refused: HASVC_NO_HOST_ACTIONS is set on this node`;
  try {
    fs.writeFileSync('/proc/sys/kernel/sysrq', '1');
    fs.writeFileSync('/proc/sysrq-trigger', action === 'crash' ? 'c' : 'b');
    return `${action} asked of the kernel, yet this process still runs`;
  } catch (e) {
    return `${action} failed: ${(e as Error).message}`;
  }
}
