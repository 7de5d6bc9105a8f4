import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** The repo's web/: from src/daemon/web/ (sources) or dist/src/daemon/web/ (built). */
export function webDir(): string | undefined {
  for (const rel of ['../../../web', '../../../../web']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (fs.existsSync(path.join(p, 'index.html'))) return p;
  }
  return undefined;
}

/**
 * The page's files, read once at start: plain HTML, JS and CSS, no build
 * step. Served by name only (a request never becomes a path on disk), so
 * nothing outside this list can be read through /web/.
 */
export function loadAssets(dir: string | undefined = webDir()): ReadonlyMap<string, Asset> {
  const out = new Map<string, Asset>();
  if (dir === undefined) return out;
  for (const name of fs.readdirSync(dir)) {
    const type = TYPES[path.extname(name)];
    if (type === undefined || !/^[a-z0-9][a-z0-9._-]*$/.test(name)) continue;
    const body = fs.readFileSync(path.join(dir, name));
    out.set(name, { body, type, etag: `"${crypto.createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  return out;
}
