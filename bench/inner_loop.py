#!/usr/bin/env python3
"""Static quality of the BRGEMM inner loops: for each kernel that bench/inner_loop.cpp wrote,
disassemble it (objdump), find the innermost loop holding multiplies (a backward branch whose
body has no other backward branch) and count its multiply instructions against its loads.

  bench/inner_loop.py DIR     prints a markdown table
"""
import re
import subprocess
import sys
from pathlib import Path

MULTIPLY = re.compile(r"^(vfmadd\w*|vdpbf16ps|vpdpbusd|fmla|bfdot|bfmmla)$")
X86_BRANCH = re.compile(r"^j\w+$")


def disassemble(path):
    arm = not path.stem.startswith("avx")
    cmd = (["aarch64-linux-gnu-objdump", "-D", "-b", "binary", "-m", "aarch64", str(path)] if arm else
           ["objdump", "-D", "-b", "binary", "-m", "i386:x86-64", "-M", "intel", str(path)])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    insns = []
    for line in out.splitlines():
        m = re.match(r"^\s*([0-9a-f]+):\s+(?:[0-9a-f]{2} )+\s*\t?(\S+)\s*(.*)$", line) if not arm else \
            re.match(r"^\s*([0-9a-f]+):\s+[0-9a-f]{8}\s+(\S+)\s*(.*)$", line)
        if m:
            insns.append((int(m.group(1), 16), m.group(2), m.group(3)))
    return arm, insns


def is_load(arm, mnem, ops):
    if arm:
        return mnem.startswith(("ldr", "ld1", "ldp"))
    # Intel syntax: memory in a source operand (not the destination); lea and prefetch read nothing
    if "[" not in ops or mnem.startswith(("lea", "prefetch")):
        return False
    return "[" not in ops.split(",")[0]


def branch_target(arm, mnem, ops):
    if (arm and (mnem.startswith("b.") or mnem in ("cbnz", "cbz", "b"))) or (not arm and X86_BRANCH.match(mnem)):
        m = re.search(r"0x([0-9a-f]+)", ops)
        return int(m.group(1), 16) if m else None
    return None


def inner_loop(path):
    arm, insns = disassemble(path)
    loops = []
    for i, (addr, mnem, ops) in enumerate(insns):
        t = branch_target(arm, mnem, ops)
        if t is not None and t < addr:
            body = [x for x in insns if t <= x[0] <= addr]
            loops.append(body)
    best = None
    for body in loops:
        targets = [(b[0], branch_target(arm, b[1], b[2])) for b in body[:-1]]
        inner = [a for a, t in targets if t is not None and t < a]
        mults = sum(1 for _, m, _ in body if MULTIPLY.match(m))
        if inner or mults == 0:
            continue
        loads = sum(1 for _, m, o in body if is_load(arm, m, o))
        if best is None or mults > best[0]:
            best = (mults, loads, len(body))
    return best


def main():
    d = Path(sys.argv[1])
    print("| kernel (64x64x64 stride batch) | multiplies | loads | instructions | multiplies per load |")
    print("|---|---|---|---|---|")
    for path in sorted(d.glob("*.bin")):
        r = inner_loop(path)
        if r:
            mults, loads, n = r
            print(f"| {path.stem} | {mults} | {loads} | {n} | {mults / max(loads, 1):.2f} |")


if __name__ == "__main__":
    main()
