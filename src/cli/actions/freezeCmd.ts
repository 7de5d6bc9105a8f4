import { freeze } from './freeze.js';

export const { run } = freeze;
