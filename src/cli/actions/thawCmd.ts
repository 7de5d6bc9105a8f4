import { thaw } from './freeze.js';

export const { run } = thaw;
