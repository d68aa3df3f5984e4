// A bounded, strict DER reader (ITU-T X.690 §10) over linear memory, allocation-free.
// Every read is checked against the caller's limit before any byte is touched; long-form
// lengths of one or two bytes must be minimal, indefinite lengths are rejected. Results come
// back through module globals (AssemblyScript std's res128_hi pattern), never through a heap.
import {
  ERR_DER_INDEFINITE, ERR_DER_LENGTH, ERR_DER_TAG, ERR_DER_TRUNCATED, OK,
} from "../errors";

/** Content start and element end (exclusive) of the last element read, and its tag. */
export let derContent: usize = 0;
export let derEnd: usize = 0;
export let derTag: u32 = 0;

/**
 * Reads the element at p, which must end at or before limit. Two length bytes at most: no
 * certificate element this firmware accepts is 64 KiB or larger. Returns OK or a DER error.
 */
export function derRead(p: usize, limit: usize): i32 {
  if (p >= limit || limit - p < 2) return ERR_DER_TRUNCATED;
  let tag = <u32>load<u8>(p);
  if ((tag & 0x1f) == 0x1f) return ERR_DER_TAG; // multi-byte tags: never in this profile
  let len = <usize>load<u8>(p + 1);
  let q = p + 2;
  if (len == 0x80) return ERR_DER_INDEFINITE;
  if (len > 0x80) {
    let n = len & 0x7f;
    if (n > 2) return ERR_DER_LENGTH;
    if (limit - q < n) return ERR_DER_TRUNCATED;
    if (n == 1) {
      len = <usize>load<u8>(q);
      if (len < 0x80) return ERR_DER_LENGTH;
    } else {
      len = (<usize>load<u8>(q) << 8) | <usize>load<u8>(q + 1);
      if (len < 0x100) return ERR_DER_LENGTH;
    }
    q += n;
  }
  if (limit - q < len) return ERR_DER_TRUNCATED;
  derTag = tag;
  derContent = q;
  derEnd = q + len;
  return OK;
}

/** derRead, and the tag must be `tag`. */
export function derExpect(p: usize, limit: usize, tag: u32): i32 {
  let rc = derRead(p, limit);
  if (rc != OK) return rc;
  return derTag == tag ? OK : ERR_DER_TAG;
}

/** 1 when the content [p, end) equals the n constant bytes at c. Public data: variable-time. */
export function derEqualsVartime(p: usize, end: usize, c: usize, n: usize): bool {
  return end - p == n && memory.compare(p, c, n) == 0;
}
