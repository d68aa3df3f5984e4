/** Unix-seconds helpers the certificate stores share (SQLite and LDAP). */

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** t, when it is an integer number of Unix seconds; else a RangeError naming the parameter. */
export function checkTime(name: string, t: number): number {
  if (!Number.isSafeInteger(t)) throw new RangeError(`${name} must be an integer number of Unix seconds, got ${t}`);
  return t;
}

/** A certificate time as node:crypto renders it (validFrom / validTo), in Unix seconds. */
export function parseTime(s: string, what: string): number {
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) throw new Error(`certificate ${what} time is not parsable: ${JSON.stringify(s)}`);
  return Math.floor(ms / 1000);
}
