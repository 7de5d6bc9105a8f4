import crypto from 'node:crypto';

/** The checksum ServiceConfigChanged carries: sha256 of the file text, hex. */
export function configChecksum(text: string): string {
  return crypto.createHash('sha256').update(text, 'utf8').digest('hex');
}
