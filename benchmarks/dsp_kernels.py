"""Instruction counts of the int8 reference kernels (runtime_c/kernels/ref) against the board's optimized
kernels (runtime_c/kernels/dsp; on cortex-m55 mve first, then dsp) on representative layers, under QEMU with -icount (deterministic: every instruction
advances virtual time by 2^6 ns; the MPS2 FPGAIO counter is read before and after each call).

    python benchmarks/dsp_kernels.py [--board cortex-m4|cortex-m7|cortex-m33|cortex-m55 ...] [--others]

Prints instructions and MACs per instruction (the DSP ceiling is 2.0: one SMLAD is 2 MACs). These are
instructions, not cycles: a Cortex-M4 spends more cycles than instructions on loads and branches.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "kernels_dsp"))

import dsp_fw  # noqa: E402

FIRMWARE = HERE / "dsp_kernels_fw.c"


def measure(board_name: str, others: bool) -> list[dict]:
    b = dsp_fw.board(board_name)
    with tempfile.TemporaryDirectory(prefix="mlc_dsp_bench_") as tmp:
        elf = dsp_fw.build(b, FIRMWARE, Path(tmp), ("-DBENCH_OTHERS",) if others else ())
        res = dsp_fw.run(b, elf, icount=True, timeout=600)
    if res.returncode != 0:
        raise SystemExit(f"{board_name}: benchmark firmware exited {res.returncode}:\n{res.stderr}")
    rows = []
    for line in res.stderr.splitlines():
        parts = line.split()
        if len(parts) != 5 or not parts[1].isdigit():
            continue
        name, macs, t_ref, t_dsp, same = parts[0], int(parts[1]), int(parts[2]), int(parts[3]), parts[4] == "1"
        rows.append({"layer": name, "macs": macs, "same": same,
                     "ref": round(dsp_fw.ticks_to_instructions(b, t_ref)),
                     "dsp": round(dsp_fw.ticks_to_instructions(b, t_dsp))})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", action="append", choices=dsp_fw.DSP_BOARDS,
                    help="board(s) to measure (default cortex-m4)")
    ap.add_argument("--others", action="store_true", help="also avgpool, mean and add")
    args = ap.parse_args(argv)
    ok = True
    for board_name in args.board or ["cortex-m4"]:
        print(f"{board_name} (QEMU {dsp_fw.board(board_name)['flash']['machine']}, -icount shift=6)")
        print(f"  {'layer':<22}{'MACs':>10}{'ref instr':>12}{'opt instr':>12}{'ref MAC/i':>10}{'opt MAC/i':>10}"
              f"{'speed-up':>9}  same")
        if args.others:
            print("  (avgpool: window taps, mean and add: elements, in the MACs columns)")
        for r in measure(board_name, args.others):
            ok &= r["same"]
            print(f"  {r['layer']:<22}{r['macs']:>10}{r['ref']:>12}{r['dsp']:>12}{r['macs'] / r['ref']:>10.3f}"
                  f"{r['macs'] / r['dsp']:>10.3f}{r['ref'] / r['dsp']:>8.2f}x  {'yes' if r['same'] else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
