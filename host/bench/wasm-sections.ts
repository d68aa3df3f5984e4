/** Sizes of a WebAssembly module's sections (custom sections by name), and its memory limits. */
const NAMES = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export', 'start', 'element', 'code', 'data', 'datacount'];

function uleb(b: Uint8Array, p: number): [number, number] {
  let v = 0, shift = 0, n = 0;
  for (;;) { const x = b[p + n++]!; v += (x & 0x7f) * 2 ** shift; if (!(x & 0x80)) break; shift += 7; }
  return [v, n];
}

export interface SectionSize { name: string; bytes: number }

export function sectionSizes(wasm: Uint8Array): SectionSize[] {
  const out: SectionSize[] = [{ name: 'header', bytes: 8 }];
  for (let p = 8; p < wasm.length;) {
    const id = wasm[p]!;
    const [size, n] = uleb(wasm, p + 1);
    let name = NAMES[id] ?? `section ${id}`;
    if (id === 0) {
      const [len, m] = uleb(wasm, p + 1 + n);
      name = `custom "${new TextDecoder().decode(wasm.subarray(p + 1 + n + m, p + 1 + n + m + len))}"`;
    }
    out.push({ name, bytes: 1 + n + size });
    p += 1 + n + size;
  }
  return out;
}

/** The (initial, maximum) pages of the module's own memory, or null when it imports its memory. */
export function memoryLimits(wasm: Uint8Array): { initial: number; maximum: number | null } | null {
  for (let p = 8; p < wasm.length;) {
    const id = wasm[p]!;
    const [size, n] = uleb(wasm, p + 1);
    if (id === 5) {
      let q = p + 1 + n;
      q += uleb(wasm, q)[1]; // count (1)
      const flags = wasm[q++]!;
      const [initial, a] = uleb(wasm, q); q += a;
      const maximum = flags & 1 ? uleb(wasm, q)[0] : null;
      return { initial, maximum };
    }
    p += 1 + n + size;
  }
  return null;
}

/**
 * The bytes the module's active data segments initialise (its constants: round constants,
 * tables, labels), summed. Segments with a constant i32 offset only, which is what asc emits.
 */
export function dataSegmentBytes(wasm: Uint8Array): number {
  for (let p = 8; p < wasm.length;) {
    const id = wasm[p]!;
    const [size, n] = uleb(wasm, p + 1);
    if (id === 11) {
      let q = p + 1 + n;
      const [count, c] = uleb(wasm, q); q += c;
      let total = 0;
      for (let i = 0; i < count; i++) {
        const flags = uleb(wasm, q); q += flags[1];
        if (flags[0] === 0) { // active, memory 0, offset expression: i32.const N end
          if (wasm[q] !== 0x41) throw new Error('data segment offset is not i32.const');
          q += 1; q += uleb(wasm, q)[1]; // the signed LEB of N: same length rules
          if (wasm[q++] !== 0x0b) throw new Error('data segment offset expression not ended');
        } else if (flags[0] !== 1) throw new Error(`data segment kind ${flags[0]} not handled`);
        const [len, l] = uleb(wasm, q); q += l;
        total += len; q += len;
      }
      return total;
    }
    p += 1 + n + size;
  }
  return 0;
}
