import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderEventsDoc } from '../../domain/eventsDoc.js';

/** npm run docs:events — regenerate docs/events.md from the event catalogue. */
const target = fileURLToPath(new URL('../../../docs/events.md', import.meta.url));
fs.writeFileSync(target, renderEventsDoc());
console.log(`wrote ${target}`);
