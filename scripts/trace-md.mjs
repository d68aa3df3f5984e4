// Prints the trace-vector sections of docs/PROTOCOL.md from test/vectors/trace-suite{1,2}.json.
// `node scripts/trace-md.mjs --write` replaces the sections between the TRACE markers in place
// (<!-- TRACE:BEGIN --> ... <!-- TRACE:END --> for suite 1, TRACE2 for suite 2).
import { readFileSync, writeFileSync } from 'node:fs';

const wrap = (h) => h.match(/.{1,64}/g).join('\n');
const SUITES = [
  { file: 'test/vectors/trace-suite1.json', source: 'host/trace/suite1.ts', marker: 'TRACE', caKey: 'Ed25519' },
  { file: 'test/vectors/trace-suite2.json', source: 'host/trace/suite2.ts', marker: 'TRACE2', caKey: 'P-256, uncompressed' },
  { file: 'test/vectors/trace-suite4.json', source: 'host/trace/suite4.ts', marker: 'TRACE4', caKey: 'Ed25519' },
];

function section({ file, source, caKey }) {
  const t = JSON.parse(readFileSync(file, 'utf8'));
  let s = `Inputs (\`${file}\`, computed by \`${source}\`):\n\n| input | value |\n|---|---|\n`;
  s += `| time (handset and server) | ${t.time} (2026-12-01T00:00:00Z) |\n`;
  for (const [k, v] of Object.entries(t.inputs)) s += `| ${k} | \`${v}\` |\n`;
  s += `| CA public key (${caKey}) | \`${t.certificates.caPublicKey}\` |\n`;
  s += '\nCertificates (DER; `openssl x509 -inform der -text` reads them):\n\n';
  for (const k of ['ca', 'handset', 'server']) s += `C_${k} (${t.certificates[k].length / 2} bytes):\n\n\`\`\`\n${wrap(t.certificates[k])}\n\`\`\`\n\n`;
  s += `ID_A = SHA-256(SPKI of C_A)[0..8] = \`${t.idA}\`\n\n`;
  s += `Message 1, A → B (${t.sizes.m1} bytes):\n\n\`\`\`\n${wrap(t.messages.m1)}\n\`\`\`\n\n`;
  s += `Message 2, B → A (${t.sizes.m2} bytes):\n\n\`\`\`\n${wrap(t.messages.m2)}\n\`\`\`\n\n`;
  s += `Message 3, A → B (${t.sizes.m3} bytes; the first application record carries "hello from A"):\n\n\`\`\`\n${wrap(t.messages.m3)}\n\`\`\`\n\n`;
  s += 'Derived values:\n\n| value | hex |\n|---|---|\n';
  for (const [k, v] of Object.entries(t.derived)) s += `| ${k} | \`${v}\` |\n`;
  return s;
}

/** The key-update section, from test/vectors/trace-keyupdate.json (host/trace/keyupdate.ts). */
function keyUpdateSection() {
  const t = JSON.parse(readFileSync('test/vectors/trace-keyupdate.json', 'utf8'));
  const text = (h) => JSON.stringify(Buffer.from(h, 'hex').toString('utf8'));
  let s = 'Inputs (`test/vectors/trace-keyupdate.json`, computed by `host/trace/keyupdate.ts`): the application data\n';
  s += `a1 ${text(t.inputs.a1)}, a2 ${text(t.inputs.a2)}, b1 ${text(t.inputs.b1)}, b2 ${text(t.inputs.b2)}.\n\n`;
  s += '| value | hex |\n|---|---|\n';
  for (const [k, v] of Object.entries(t.derived)) s += `| ${k} | \`${v}\` |\n`;
  s += '\nRecords:\n\n';
  for (const [k, v] of Object.entries(t.records)) s += `${k} (${v.length / 2} bytes):\n\n\`\`\`\n${wrap(v)}\n\`\`\`\n\n`;
  return s;
}

/** The suite-3 section, from test/vectors/trace-suite3.json (host/trace/suite3.ts): C_B sent, then by reference. */
function suite3Section() {
  const t = JSON.parse(readFileSync('test/vectors/trace-suite3.json', 'utf8'));
  let s = 'Inputs (`test/vectors/trace-suite3.json`, computed by `host/trace/suite3.ts`): the suite-1 trace\'s time, PKI, static keys and certificates, and\n\n';
  s += '| input | value |\n|---|---|\n';
  for (const [k, v] of Object.entries(t.inputs)) s += `| ${k} | \`${v}\` |\n`;
  s += `| ID_A | \`${t.idA}\` |\n| ref_B = SHA-256(C_B)[0..4] | \`${t.refB}\` |\n\n`;
  for (const [name, title] of [['full', 'B sends C_B (no ref_B in the hello)'], ['byReference', 'A names the C_B it holds; B leaves it out']]) {
    const c = t[name];
    s += `#### ${title}\n\n`;
    s += `Message 1, A → B (${c.sizes.m1} bytes):\n\n\`\`\`\n${wrap(c.messages.m1)}\n\`\`\`\n\n`;
    s += `Message 2, B → A (${c.sizes.m2} bytes):\n\n\`\`\`\n${wrap(c.messages.m2)}\n\`\`\`\n\n`;
    s += `Message 3, A → B (${c.sizes.m3} bytes, record 0 carrying "hello from A"; ${c.sizes.bytesBeforeFirstAppByte} bytes on air before its first application byte):\n\n\`\`\`\n${wrap(c.messages.m3)}\n\`\`\`\n\n`;
    s += '| value | hex |\n|---|---|\n';
    for (const [k, v] of Object.entries(c.derived)) s += `| ${k} | \`${v}\` |\n`;
    s += '\n';
  }
  return s;
}

const SECTIONS = [
  ...SUITES.map((x) => ({ marker: x.marker, text: () => section(x) })),
  { marker: 'TRACEKU', text: keyUpdateSection },
  { marker: 'TRACE3', text: suite3Section },
];

if (process.argv.includes('--write')) {
  let doc = readFileSync('docs/PROTOCOL.md', 'utf8');
  for (const x of SECTIONS) {
    const begin = `<!-- ${x.marker}:BEGIN -->`, end = `<!-- ${x.marker}:END -->`;
    const a = doc.indexOf(begin), b = doc.indexOf(end);
    if (a < 0 || b < 0) throw new Error(`${x.marker} markers missing in docs/PROTOCOL.md`);
    doc = doc.slice(0, a) + begin + '\n' + x.text() + doc.slice(b);
  }
  writeFileSync('docs/PROTOCOL.md', doc);
} else {
  for (const x of SECTIONS) process.stdout.write(x.text() + '\n');
}
