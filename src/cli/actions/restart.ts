import { actionCommand } from './startStop.js';

export const { run } = actionCommand('restart');
