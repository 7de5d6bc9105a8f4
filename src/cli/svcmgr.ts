import type { CommandTable } from './context.js';

/** svcmgr actions. Each loads its module lazily. */
export const SVCMGR: CommandTable = {
};
