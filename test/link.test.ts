// Emulated slow link on a virtual clock: timing model, FIFO queueing, full duplex, MTU
// fragmentation, seeded loss and bit errors, and the scheduler itself.
import test from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../host/link/clock.js';
import { EmulatedLink, type EmulatedLinkOptions } from '../host/link/emulated.js';
import { PROFILES, getProfile } from '../host/link/profiles.js';

const close = (actual: number, expected: number, msg?: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${msg ?? ''} expected ${expected}, got ${actual}`);

function setup(profile = 'gsm', opts?: EmulatedLinkOptions) {
  const clock = new VirtualClock();
  const link = new EmulatedLink(clock, getProfile(profile), opts);
  const a = link.endpoint('A');
  const b = link.endpoint('B');
  const got: Record<'A' | 'B', Array<{ at: number; msg: Uint8Array }>> = { A: [], B: [] };
  a.onMessage((msg) => got.A.push({ at: clock.now(), msg }));
  b.onMessage((msg) => got.B.push({ at: clock.now(), msg }));
  return { clock, link, a, b, got };
}

test('gsm: a 32-byte message sent at t=0 arrives at 32*8/9600*1000 + 300 ms', () => {
  const { clock, link, a, got } = setup();
  a.send(new Uint8Array(32).fill(7));
  clock.run();
  assert.equal(got.B.length, 1);
  assert.equal(got.A.length, 0);
  assert.equal(got.B[0].at, (32 * 8) / 9600 * 1000 + 300);
  close(got.B[0].at, 326 + 2 / 3);
  assert.deepEqual(got.B[0].msg, new Uint8Array(32).fill(7));
  assert.equal(link.serializationMs(32), (32 * 8) / 9600 * 1000);
  assert.deepEqual(link.trace(), [
    { from: 'A', to: 'B', bytes: 32, packets: 1, sentAt: 0, deliveredAt: got.B[0].at, lost: false, corruptedBits: 0 },
  ]);
  assert.deepEqual(link.totals(), { bytesAtoB: 32, bytesBtoA: 0, messages: 1 });
});

test('back-to-back messages queue: the second starts when the first finishes serialising', () => {
  const { clock, a, got } = setup();
  a.send(new Uint8Array(96)); // 80 ms
  a.send(new Uint8Array(48)); // 40 ms
  clock.run();
  assert.deepEqual(got.B.map((r) => r.msg.length), [96, 48]);
  close(got.B[0].at, 80 + 300);
  close(got.B[1].at, 80 + 40 + 300);
});

test('a message sent after the channel has gone idle does not queue', () => {
  const { clock, a, got } = setup();
  a.send(new Uint8Array(96)); // channel busy until 80 ms
  clock.schedule(200, () => a.send(new Uint8Array(48)));
  clock.run();
  close(got.B[1].at, 200 + 40 + 300);
});

test('full duplex: opposite directions do not delay each other', () => {
  const { clock, a, b, got, link } = setup();
  a.send(new Uint8Array(120)); // 100 ms
  b.send(new Uint8Array(60)); // 50 ms
  clock.run();
  close(got.B[0].at, 100 + 300);
  close(got.A[0].at, 50 + 300);
  assert.deepEqual(link.totals(), { bytesAtoB: 120, bytesBtoA: 60, messages: 2 });
});

test('MTU fragmentation: 3000 bytes on mtu 1500 is 2 packets, arriving as one 3000-byte stream', () => {
  const { clock, a, got, link } = setup();
  const msg = new Uint8Array(3000).map((_, i) => i & 0xff);
  a.send(msg);
  clock.run();
  const [entry] = link.trace();
  assert.equal(entry.packets, 2);
  close(got.B[0].at, (3000 * 8) / 9600 * 1000 + 300);
  assert.deepEqual(got.B[0].msg, msg);

  const one = setup();
  one.a.send(new Uint8Array(1501));
  one.clock.run();
  assert.equal(one.link.trace()[0].packets, 2);
  close(one.got.B[0].at, (1501 * 8) / 9600 * 1000 + 300);
});

function lostSet(seed: number): number[] {
  const { clock, a, link, got } = setup('gsm', { seed, lossRate: 0.3 });
  for (let i = 0; i < 64; i++) a.send(new Uint8Array([i]));
  clock.run();
  const lost = link.trace().flatMap((e, i) => (e.lost ? [i] : []));
  // Lost messages are never delivered; everything else is, in order.
  assert.deepEqual(
    got.B.map((r) => r.msg[0]),
    [...Array(64).keys()].filter((i) => !lost.includes(i)),
  );
  assert.ok(link.trace().every((e) => e.lost === (e.deliveredAt === null)));
  assert.equal(link.endpoint('A').stats().lostMessages, lost.length);
  return lost;
}

test('seeded loss: same seed reproduces the same lost set, another seed differs', () => {
  const s7 = lostSet(7);
  assert.ok(s7.length > 5 && s7.length < 40, `implausible loss count ${s7.length} of 64 at p=0.3`);
  assert.deepEqual(lostSet(7), s7);
  assert.notDeepEqual(lostSet(8), s7);
});

test('loss is per packet: a 3-packet message is lost if any of its packets is', () => {
  const { clock, a, link, got } = setup('gsm', { seed: 3, lossRate: 0.3 });
  for (let i = 0; i < 64; i++) a.send(new Uint8Array(3 * 1500));
  clock.run();
  const lost = link.trace().filter((e) => e.lost).length;
  // P(message lost) = 1 - 0.7^3 = 0.657 -> ~42 of 64 (sd ~3.8); per-message loss would give ~19.
  assert.ok(lost >= 30 && lost <= 55, `lost ${lost} of 64`);
  assert.equal(got.B.length, 64 - lost);
});

test('a lost packet loses the whole message but still occupies the channel', () => {
  const { clock, a, got, link } = setup('gsm', { lossRate: 1 });
  a.send(new Uint8Array(3000));
  clock.run();
  assert.equal(got.B.length, 0);
  assert.equal(link.trace()[0].lost, true);
  assert.equal(link.trace()[0].deliveredAt, null);
  close(clock.now(), (3000 * 8) / 9600 * 1000 + 300);
});

test('bit errors: ~expected flips at 1e-3 on 10,000 bytes; sender buffer never mutated', () => {
  const { clock, a, got, link } = setup('gsm', { seed: 42, bitErrorRate: 1e-3 });
  const sent = new Uint8Array(10_000).map((_, i) => (i * 31) & 0xff);
  const before = sent.slice();
  a.send(sent);
  clock.run();
  assert.deepEqual(sent, before, 'sender buffer mutated');
  const recv = got.B[0].msg;
  let diff = 0;
  for (let i = 0; i < recv.length; i++) {
    for (let x = recv[i] ^ sent[i]; x; x &= x - 1) diff++;
  }
  // Expected 80 flips, sd ~8.9; accept a wide +-4.5 sd band.
  assert.ok(diff >= 40 && diff <= 120, `flipped ${diff} bits, expected ~80`);
  assert.equal(link.trace()[0].corruptedBits, diff);
  assert.equal(link.endpoint('B').stats().corruptedBits, diff);
});

test('no impairments by default: delivered bytes equal sent bytes', () => {
  const { clock, a, got } = setup('gprs');
  const sent = new Uint8Array(5000).map((_, i) => i % 251);
  a.send(sent);
  sent.fill(0); // mutating after send must not change what is delivered
  clock.run();
  assert.deepEqual(got.B[0].msg, new Uint8Array(5000).map((_, i) => i % 251));
});

test('clock: time order, same-time events in scheduling order, cancel, until', () => {
  const clock = new VirtualClock();
  const order: string[] = [];
  clock.schedule(5, () => order.push('5a'));
  clock.schedule(1, () => order.push('1'));
  const dead = clock.schedule(3, () => order.push('cancelled'));
  clock.schedule(5, () => order.push('5b'));
  clock.after(2.5, () => order.push('2.5'));
  clock.schedule(5, () => order.push('5c'));
  assert.equal(clock.cancel(dead), true);
  assert.equal(clock.cancel(dead), false);
  assert.equal(clock.run({ until: 2.5 }), 2);
  assert.equal(clock.now(), 2.5);
  assert.equal(clock.idle(), false);
  assert.equal(clock.run(), 3);
  assert.deepEqual(order, ['1', '2.5', '5a', '5b', '5c']);
  assert.equal(clock.now(), 5);
  assert.equal(clock.idle(), true);
  assert.throws(() => clock.schedule(4, () => {}), RangeError);
});

test('clock: maxEvents throws on a livelock', () => {
  const clock = new VirtualClock();
  let spins = 0;
  const spin = () => {
    // Without the guard this would spin forever; bail out with a different error instead.
    if (++spins > 5000) throw new Error('guard did not fire');
    clock.after(0, spin);
  };
  clock.after(0, spin);
  assert.throws(() => clock.run({ maxEvents: 1000 }), /more than 1000 events/);
  const ok = new VirtualClock();
  for (let i = 0; i < 10; i++) ok.schedule(i, () => {});
  assert.equal(ok.run({ maxEvents: 10 }), 10);
});

function exchange(sizes: number[], profile = 'gsm'): number {
  const { clock, a, b } = setup(profile);
  const ends = [a, b];
  let step = 0;
  let done = -1;
  const onArrive = () => {
    step++;
    if (step < sizes.length) ends[step % 2].send(new Uint8Array(sizes[step]));
    else done = clock.now();
  };
  a.onMessage(onArrive);
  b.onMessage(onArrive);
  a.send(new Uint8Array(sizes[0]));
  clock.run();
  return done;
}

test('3-message exchange A->B, B->A, A->B (32, 300, 60 bytes) on gsm', () => {
  close(exchange([32, 300, 60]), 3 * 300 + ((32 + 300 + 60) * 8) / 9.6);
  // Reference figure: 1913 bytes over 3 flights = 2494 ms on gsm.
  assert.equal(Math.round(exchange([200, 1500, 213])), 2494);
});

test('profiles: figures and getProfile', () => {
  assert.deepEqual(
    Object.values(PROFILES).map((p) => [p.name, p.bitRate, p.latencyMs, p.mtu]),
    [
      ['gsm', 9600, 300, 1500],
      ['gprs', 40000, 400, 1500],
      ['nbiot', 20000, 1000, 1280],
      ['ltem', 300000, 100, 1280],
      ['fast', 10000000, 1, 1500],
    ],
  );
  for (const p of Object.values(PROFILES)) assert.ok(p.source.length > 20 && p.description.length > 0);
  assert.equal(getProfile('nbiot').bitRate, 20000);
  assert.throws(() => getProfile('wifi'), /gsm, gprs, nbiot, ltem, fast/);
});
