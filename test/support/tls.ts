import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** A CA, a node certificate for the given IP addresses signed by it, and another CA, made with openssl in `dir`. */
export function certificates(dir: string, ips: readonly string[] = ['127.0.0.1']): { ca: string; cert: string; key: string; otherCa: string } {
  const f = (n: string) => path.join(dir, n);
  const ossl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '1', '-subj', '/CN=hasvc test ca');
  ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('other.key'), '-out', f('other.pem'), '-days', '1', '-subj', '/CN=someone else');
  ossl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('node.key'), '-out', f('node.csr'), '-subj', '/CN=node1');
  fs.writeFileSync(f('san.ext'), `subjectAltName=${[...ips.map((ip) => `IP:${ip}`), 'DNS:node1'].join(',')}\n`);
  ossl('x509', '-req', '-in', f('node.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('node.pem'), '-days', '1', '-extfile', f('san.ext'));
  return { ca: f('ca.pem'), cert: f('node.pem'), key: f('node.key'), otherCa: f('other.pem') };
}
