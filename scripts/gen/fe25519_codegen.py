#!/usr/bin/env python3
"""Straight-line code generation for GF(2^255 - 19) in radix 2^25.5 (ref10's representation).

A field element held in locals is a list of ten i64 local names. The emitter writes
AssemblyScript statements that keep whole formulas (a Montgomery ladder step, an Edwards point
doubling) in locals, so that limbs are loaded and stored once per formula instead of once per
multiplication. Every multiplication and squaring is ref10's fe_mul / fe_sq, written out term by
term from coef() below, followed by the sequential carry chain of field25519.ts.

Used by the other scripts in this folder; it writes nothing by itself.
"""

OFFS = [0, 26, 51, 77, 102, 128, 153, 179, 204, 230]
BITS = [26 if i % 2 == 0 else 25 for i in range(10)]


def coef(i, j):
    """Weight of f_i g_j in column (i + j) mod 10: 2 when both odd (half-bit offsets add up),
    19 when i + j >= 10 (2^255 = 19 mod p)."""
    c = 1
    if i % 2 == 1 and j % 2 == 1:
        c *= 2
    if i + j >= 10:
        c *= 19
    return c


class Emitter:
    def __init__(self, indent="  "):
        self.lines = []
        self.decls = []
        self.declared = set()
        self.ind = indent

    def declare(self, name):
        if name not in self.declared:
            self.declared.add(name)
            self.decls.append(name)

    def fe(self, name):
        names = [f"{name}{i}" for i in range(10)]
        for n in names:
            self.declare(n)
        return names

    def emit(self, s):
        self.lines.append(self.ind + s)

    def comment(self, s):
        self.emit("// " + s)

    def decl_block(self, indent="  "):
        out = []
        for k in range(0, len(self.decls), 10):
            chunk = self.decls[k:k + 10]
            out.append(indent + "let " + ", ".join(f"{n}: i64 = 0" for n in chunk) + ";")
        return out

    # --- memory ---------------------------------------------------------------------------
    def load(self, fe, ptr, off=0):
        for i in range(10):
            self.emit(f"{fe[i]} = <i64>load<i32>({ptr}, {off + 4 * i});")

    def store(self, ptr, fe, off=0):
        for i in range(10):
            self.emit(f"store<i32>({ptr}, <i32>{fe[i]}, {off + 4 * i});")

    # --- linear ---------------------------------------------------------------------------
    def add(self, h, f, g):
        for i in range(10):
            self.emit(f"{h[i]} = {f[i]} + {g[i]};")

    def sub(self, h, f, g):
        for i in range(10):
            self.emit(f"{h[i]} = {f[i]} - {g[i]};")

    def copy(self, h, f):
        for i in range(10):
            if h[i] != f[i]:
                self.emit(f"{h[i]} = {f[i]};")

    def const(self, h, v):
        for i in range(10):
            self.emit(f"{h[i]} = {(v >> OFFS[i]) & ((1 << BITS[i]) - 1)};")

    def cswap(self, mask, a, b):
        """Swaps a and b when mask is all-ones (i64), constant-time."""
        self.declare("cs")
        for i in range(10):
            self.emit(f"cs = ({a[i]} ^ {b[i]}) & {mask}; {a[i]} ^= cs; {b[i]} ^= cs;")

    # --- carry ----------------------------------------------------------------------------
    def carry_into(self, h, acc):
        """Sequential carry chain over the accumulators acc, result limbs to h."""
        lines = []
        for i in range(9):
            m = "M26" if BITS[i] == 26 else "M25"
            lines.append(f"{acc[i+1]} += {acc[i]} >> {BITS[i]}; {acc[i]} &= {m};")
        lines.append(f"{acc[0]} += ({acc[9]} >> 25) * 19; {acc[9]} &= M25;")
        lines.append(f"{acc[1]} += {acc[0]} >> 26; {acc[0]} &= M26;")
        for l in lines:
            self.emit(l)
        for i in range(10):
            if h[i] != acc[i]:
                self.emit(f"{h[i]} = {acc[i]};")

    # --- multiplicative -------------------------------------------------------------------
    def premul19(self, g, name):
        """The g_j * 19 (j >= 1) a multiplication by g needs; reusable when g is fixed."""
        names = [None] + [f"{name}_19_{j}" for j in range(1, 10)]
        for j in range(1, 10):
            self.declare(names[j])
            self.emit(f"{names[j]} = {g[j]} * 19;")
        return names

    def mul(self, h, f, g, g19=None):
        """h = f * g. Inputs |even| <= 2^28, |odd| <= 2^27; output reduced. h may alias f or g."""
        if g19 is None:
            g19 = self.premul19(g, "mg")
        f2 = {}
        for i in (1, 3, 5, 7, 9):
            f2[i] = f"mf_2_{i}"
            self.declare(f2[i])
            self.emit(f"{f2[i]} = {f[i]} << 1;")
        acc = [f"mh{k}" for k in range(10)]
        for n in acc:
            self.declare(n)
        for k in range(10):
            terms = []
            for i in range(10):
                j = (k - i) % 10
                c = coef(i, j)
                fa = f2[i] if c % 2 == 0 else f[i]
                gb = g19[j] if c % 19 == 0 else g[j]
                terms.append(f"{fa} * {gb}")
            self.emit(f"{acc[k]} = " + " + ".join(terms) + ";")
        self.carry_into(h, acc)

    def sq(self, h, f):
        """h = f^2, same bounds as mul. h may alias f."""
        needed = {}
        rows = []
        for k in range(10):
            terms = []
            for i in range(10):
                for j in range(i, 10):
                    if (i + j) % 10 != k:
                        continue
                    c = coef(i, j) * (2 if i < j else 1)
                    a, b = 1, 1
                    if c % 19 == 0:
                        b, c = 19, c // 19
                    if c == 4:
                        a, b = 2, b * 2
                    elif c == 2:
                        a = 2
                    na = f[i] if a == 1 else f"sf_{a}_{i}"
                    nb = f[j] if b == 1 else f"sf_{b}_{j}"
                    if a != 1:
                        needed[f"sf_{a}_{i}"] = f"{f[i]} * {a}"
                    if b != 1:
                        needed[f"sf_{b}_{j}"] = f"{f[j]} * {b}"
                    terms.append(f"{na} * {nb}")
            rows.append(terms)
        for name in sorted(needed):
            self.declare(name)
            self.emit(f"{name} = {needed[name]};")
        acc = [f"mh{k}" for k in range(10)]
        for n in acc:
            self.declare(n)
        for k in range(10):
            self.emit(f"{acc[k]} = " + " + ".join(rows[k]) + ";")
        self.carry_into(h, acc)

    def mul_small(self, h, f, c):
        acc = [f"mh{k}" for k in range(10)]
        for n in acc:
            self.declare(n)
        for i in range(10):
            self.emit(f"{acc[i]} = {f[i]} * {c};")
        self.carry_into(h, acc)


PREAMBLE = [
    "// @ts-ignore: decorator",
    "@inline const M26: i64 = 0x3ffffff;",
    "// @ts-ignore: decorator",
    "@inline const M25: i64 = 0x1ffffff;",
]


def function(signature, doc, body_fn, indent="  "):
    """Renders one function: doc comment, signature, local declarations, body."""
    e = Emitter(indent)
    body_fn(e)
    out = ["/**"] + [" * " + l if l else " *" for l in doc] + [" */", signature + " {"]
    out += e.decl_block(indent)
    out += e.lines
    out.append("}")
    return out
