import type { CommandTable } from './context.js';

/** nodemgr actions. Each loads its module lazily. */
export const NODEMGR: CommandTable = {
};
