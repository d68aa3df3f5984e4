/**
 * Key-update trace vectors (docs/PROTOCOL.md, "Key update"), on the suite-1 trace session: after
 * the trace handshake (host/trace/suite1.ts), A sends a record with the change-cipher message
 * appended and one record under its next keys; B does the same in its direction. Every record is
 * sealed here from the spec on node:crypto (keyschedule.ts), and server B must accept A's and
 * produce exactly B's. test/vectors/trace-keyupdate.json holds the result; test/key-update.test.ts
 * checks that the firmware reproduces A's records and opens B's.
 */
import { CC_NEXT_KEYS, MsgType } from '../protocol/constants.js';
import { nextKeys, sealRecord } from '../server/keyschedule.js';
import { hex, traceHandshake } from './suite1.js';

export const KEY_UPDATE_INPUTS = {
  a1: new TextEncoder().encode('update from A'),
  a2: new TextEncoder().encode('A, next keys'),
  b1: new TextEncoder().encode('update from B'),
  b2: new TextEncoder().encode('B, next keys'),
};

export interface KeyUpdateTrace {
  description: string;
  inputs: Record<string, string>;
  derived: Record<string, string>;
  records: { a1: string; a2: string; b1: string; b2: string };
}

const record = (r: { header: Buffer; body: Buffer }) => Buffer.concat([r.header, r.body]);

export function computeKeyUpdateTrace(): KeyUpdateTrace {
  const i = KEY_UPDATE_INPUTS;
  const t = traceHandshake();
  try {
    const { k } = t;
    // A -> B: record 1 (sequence 1 after message 3's record 0) with the change-cipher message, then record 0 under A's next keys
    const a1 = record(sealRecord(k.kAB, k.ivAB, 1n, Buffer.concat([i.a1, Buffer.from([CC_NEXT_KEYS])]), 1, MsgType.RECORD_UPDATE));
    const nA = nextKeys(k.uAB);
    const a2 = record(sealRecord(nA.k, nA.iv, 0n, i.a2));
    // B -> A: record 0 with the change-cipher message, then record 0 under B's next keys
    const b1 = record(sealRecord(k.kBA, k.ivBA, 0n, Buffer.concat([i.b1, Buffer.from([CC_NEXT_KEYS])]), 1, MsgType.RECORD_UPDATE));
    const nB = nextKeys(k.uBA);
    const b2 = record(sealRecord(nB.k, nB.iv, 0n, i.b2));
    // Server B accepts A's records and makes exactly B's.
    t.delivered.length = 0;
    t.session.receive(a1);
    t.session.receive(a2);
    if (t.delivered.length !== 2 || hex(t.delivered[0]!) !== hex(i.a1) || hex(t.delivered[1]!) !== hex(i.a2)) {
      throw new Error(`key-update trace: server B did not accept A's records (${t.session.error})`);
    }
    t.session.write(i.b1, { update: true });
    t.session.write(i.b2);
    if (t.out.length !== 2 || hex(t.out[0]!) !== hex(b1) || hex(t.out[1]!) !== hex(b2)) throw new Error('key-update trace: server B\'s records differ from the spec\'s');
    return {
      description: 'airshake key update on the suite-1 trace session (test/vectors/trace-suite1.json): one update in each direction; all byte strings hex',
      inputs: { a1: hex(i.a1), a2: hex(i.a2), b1: hex(i.b1), b2: hex(i.b2) },
      derived: {
        uAB: hex(k.uAB), uBA: hex(k.uBA),
        uAB1: hex(nA.u), kAB1: hex(nA.k), ivAB1: hex(nA.iv),
        uBA1: hex(nB.u), kBA1: hex(nB.k), ivBA1: hex(nB.iv),
      },
      records: { a1: hex(a1), a2: hex(a2), b1: hex(b1), b2: hex(b2) },
    };
  } finally {
    t.close();
  }
}
