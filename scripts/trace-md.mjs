// Prints the trace-vector section of docs/PROTOCOL.md from test/vectors/trace-suite1.json.
// `node scripts/trace-md.mjs --write` replaces the section between the TRACE markers in place.
import { readFileSync, writeFileSync } from 'node:fs';

const t = JSON.parse(readFileSync('test/vectors/trace-suite1.json', 'utf8'));
const wrap = (h) => h.match(/.{1,64}/g).join('\n');
let s = 'Inputs (`test/vectors/trace-suite1.json`, computed by `host/trace/suite1.ts`):\n\n| input | value |\n|---|---|\n';
s += `| time (handset and server) | ${t.time} (2026-12-01T00:00:00Z) |\n`;
for (const [k, v] of Object.entries(t.inputs)) s += `| ${k} | \`${v}\` |\n`;
s += `| CA public key (Ed25519) | \`${t.certificates.caPublicKey}\` |\n`;
s += '\nCertificates (DER; `openssl x509 -inform der -text` reads them):\n\n';
for (const k of ['ca', 'handset', 'server']) s += `C_${k} (${t.certificates[k].length / 2} bytes):\n\n\`\`\`\n${wrap(t.certificates[k])}\n\`\`\`\n\n`;
s += `ID_A = SHA-256(SPKI of C_A)[0..8] = \`${t.idA}\`\n\n`;
s += `Message 1, A → B (${t.sizes.m1} bytes):\n\n\`\`\`\n${wrap(t.messages.m1)}\n\`\`\`\n\n`;
s += `Message 2, B → A (${t.sizes.m2} bytes):\n\n\`\`\`\n${wrap(t.messages.m2)}\n\`\`\`\n\n`;
s += `Message 3, A → B (${t.sizes.m3} bytes; the first application record carries "hello from A"):\n\n\`\`\`\n${wrap(t.messages.m3)}\n\`\`\`\n\n`;
s += 'Derived values:\n\n| value | hex |\n|---|---|\n';
for (const [k, v] of Object.entries(t.derived)) s += `| ${k} | \`${v}\` |\n`;

if (process.argv.includes('--write')) {
  const doc = readFileSync('docs/PROTOCOL.md', 'utf8');
  const a = doc.indexOf('<!-- TRACE:BEGIN -->'), b = doc.indexOf('<!-- TRACE:END -->');
  if (a < 0 || b < 0) throw new Error('TRACE markers missing in docs/PROTOCOL.md');
  writeFileSync('docs/PROTOCOL.md', doc.slice(0, a) + '<!-- TRACE:BEGIN -->\n' + s + doc.slice(b));
} else {
  process.stdout.write(s);
}
