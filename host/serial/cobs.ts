// Consistent Overhead Byte Stuffing (Cheshire & Baker, 1999). The encoded form contains no 0x00,
// so 0x00 can delimit frames. Overhead: at most 1 byte per 254 bytes of input, plus 1.

/** Upper bound on the encoded length of n input bytes. */
export function cobsMaxEncodedLength(n: number): number {
  return n + Math.floor(n / 254) + 1;
}

export function cobsEncode(input: Uint8Array): Uint8Array {
  const n = input.length;
  const out = new Uint8Array(cobsMaxEncodedLength(n));
  let codeIdx = 0; // where the current block's code byte goes
  let o = 1;
  let code = 1;
  for (let i = 0; i < n; i++) {
    const b = input[i];
    if (b === 0) {
      out[codeIdx] = code;
      codeIdx = o++;
      code = 1;
    } else {
      out[o++] = b;
      code++;
      if (code === 0xff) {
        out[codeIdx] = code;
        if (i === n - 1) return out.slice(0, o); // a full block at the very end implies no zero
        codeIdx = o++;
        code = 1;
      }
    }
  }
  out[codeIdx] = code;
  return out.slice(0, o);
}

/** Decodes one COBS block sequence (without delimiters). Returns null if malformed. */
export function cobsDecode(input: Uint8Array): Uint8Array | null {
  const n = input.length;
  if (n === 0) return null;
  const out = new Uint8Array(n);
  let o = 0;
  let i = 0;
  while (i < n) {
    const code = input[i++];
    if (code === 0) return null;
    const end = i + code - 1;
    if (end > n) return null; // code points past the end
    for (; i < end; i++) {
      const b = input[i];
      if (b === 0) return null;
      out[o++] = b;
    }
    if (code !== 0xff && i < n) out[o++] = 0;
  }
  return out.slice(0, o);
}
