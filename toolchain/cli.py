"""The `mlc` command line: argument parsing and reporting only; the work lives in the modules."""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from toolchain.errors import EXIT_USAGE, MlcError

EXIT_CODES_HELP = "exit codes: 0 ok, 1 test mismatch, 2 usage or model error, 3 board or transport error"


def _common_model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS, help="show tracebacks of errors")
    p.add_argument("model", help="ONNX model file")
    p.add_argument("--board", default="host", help="target board (see `mlc boards`), default host")
    p.add_argument("--input-shape", action="append", metavar="NAME=D0,D1,...",
                   help="fix the shape of an input with symbolic dimensions (repeatable)")
    p.add_argument("--name", help="C identifier prefix of the generated API (default: the model file name)")
    p.add_argument("--quantize", choices=["int8"], help="quantize a float model (QDQ / QOperator models are "
                   "compiled as int8 without it)")
    p.add_argument("--calib", metavar="CALIB.npy|CALIB.npz[:key]", help="representative inputs for --quantize")
    p.add_argument("--observer", choices=["minmax", "percentile", "mse"], default="minmax",
                   help="how calibration picks each activation's range (default minmax)")
    from toolchain.boards import OPTIMIZE_GOALS

    p.add_argument("--optimize", choices=list(OPTIMIZE_GOALS), default=None,
                   help="speed: the board's fastest kernels, -O2 (the default of every board file); size: the "
                   "reference kernels only, -Os (several times less kernel code, slower)")


def _board(args: argparse.Namespace):
    """The --board, built for --optimize."""
    from toolchain.boards import load_board

    return load_board(args.board).optimized_for(args.optimize)


def _quant(args: argparse.Namespace):
    """QuantOptions from --quantize/--calib/--observer (None for a float build)."""
    from toolchain.build import QuantOptions
    from toolchain.errors import UsageError

    if args.quantize is None:
        if args.calib:
            raise UsageError("--calib is only used with --quantize int8; add --quantize int8")
        return None
    return QuantOptions(args.quantize, args.calib, args.observer)


def _kib(n: int) -> str:
    return f"{n} B ({n / 1024:.1f} KiB)"


def cmd_build(args: argparse.Namespace) -> int:
    from toolchain.build import build
    from toolchain.onnx_import import parse_input_shapes

    board = _board(args)
    out = Path(args.output or "out")
    res = build(args.model, board, out, parse_input_shapes(args.input_shape), args.name, quiet=args.quiet,
                quant=_quant(args), emit=args.emit)
    s, p = res.sizes, res.compiled.program
    print(f"built {res.artifact} for {board.name} ({res.compiled.quantization}); report in {out / 'report.md'}")
    print(f"RAM   {_kib(s.ram_total)}: arena {p.arena_size} (lower bound {p.lower_bound}), "
          f"static data {s.static_data}, stack {s.stack}")
    print(f"flash {_kib(s.flash_total)}: code {s.code}, constants {s.constants}, other {s.other_rodata + s.data}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from toolchain.onnx_import import parse_input_shapes
    from toolchain.run import run_model

    board = _board(args)
    run_model(args.model, board, Path(args.input), Path(args.output), parse_input_shapes(args.input_shape),
              args.name, port=getattr(args, "port", None), quiet=args.quiet, quant=_quant(args), emit=args.emit)
    print(f"wrote {args.output}")
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from toolchain.errors import UsageError
    from toolchain.inspect_model import inspect_model, render_text
    from toolchain.onnx_import import parse_input_shapes

    board = _board(args)
    json_path = None if args.json in (None, "-") else Path(args.json)
    for opt, path in (("--json", json_path), ("--plot", Path(args.plot) if args.plot else None)):
        if path is not None and not path.parent.is_dir():
            raise UsageError(f"{opt} {path}: folder {path.parent} does not exist; create it or pick another path")
    if args.plot and Path(args.plot).suffix.lower() not in (".svg", ".png"):
        raise UsageError(f"--plot {args.plot}: the picture must end in .svg or .png")
    ins = inspect_model(args.model, board, parse_input_shapes(args.input_shape), args.name, _quant(args))
    if args.plot:
        from toolchain.memory_plot import plot_memory

        plot_memory(ins, args.plot)
    if args.json == "-":
        sys.stdout.write(ins.to_json())
    else:
        sys.stdout.write(render_text(ins))
        if json_path is not None:
            json_path.write_text(ins.to_json())
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    from toolchain.onnx_import import parse_input_shapes
    from toolchain.verify import run_test

    board = _board(args)
    if args.json and not Path(args.json).parent.is_dir():
        from toolchain.errors import UsageError

        raise UsageError(f"--json {args.json}: folder {Path(args.json).parent} does not exist; create it or pick "
                         "another path")
    return run_test(Path(args.model), board, Path(args.data) if args.data else None, args.port,
                    parse_input_shapes(args.input_shape), args.name, Path(args.json) if args.json else None,
                    quiet=args.quiet, quant=_quant(args), emit=args.emit)


def cmd_flash(args: argparse.Namespace) -> int:
    from toolchain.boards import load_board
    from toolchain.flash import flash, serve

    board = load_board(args.board)
    if board.is_emulated:
        return serve(board, Path(args.firmware))
    if board.runs_runner:
        from toolchain.errors import UsageError

        raise UsageError(f"board {board.name} has nothing to flash; run the built mlc_runner directly")
    flash(board, Path(args.firmware))
    print(f"flashed {args.firmware} to {board.name}")
    return 0


def cmd_boards(args: argparse.Namespace) -> int:
    from toolchain.boards import list_boards

    rows = [(b.name, b.kind, b.core, f"{b.ram_bytes // 1024} KiB", f"{b.flash_bytes // 1024} KiB", b.description)
            for b in list_boards()]
    head = ("board", "kind", "core", "RAM", "flash", "description")
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(5)]
    for r in [head, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(r, widths)) + "  " + r[5])
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and exit code 2) like every other mlc error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"mlc: error: {self.prog}: {message}; see `{self.prog} --help`\n")


def cmd_bench(args: argparse.Namespace) -> int:
    from toolchain.bench import render, run_bench, to_json
    from toolchain.errors import UsageError
    from toolchain.onnx_import import parse_input_shapes

    board = _board(args)
    if args.json and not Path(args.json).parent.is_dir():
        raise UsageError(f"--json {args.json}: folder {Path(args.json).parent} does not exist; create it or pick "
                         "another path")
    rep = run_bench(Path(args.model), board, parse_input_shapes(args.input_shape), _quant(args), args.per_layer,
                    args.port, args.emit)
    sys.stdout.write(render(rep))
    if args.json:
        Path(args.json).write_text(to_json(rep))
    return 0


def cmd_ops(args: argparse.Namespace) -> int:
    from toolchain import ops_catalog

    if args.json:
        import json

        print(json.dumps(ops_catalog.catalog_json(), indent=1))
    else:
        print(ops_catalog.table())
    return 0


def parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="mlc", description="Compile ONNX models to static C for microcontrollers.",
                                 epilog=EXIT_CODES_HELP)
    ap.add_argument("--verbose", action="store_true", help="show tracebacks of errors")
    sub = ap.add_subparsers(dest="command", required=True, parser_class=_Parser)

    b = sub.add_parser("build", help="generate and build a self-contained C project", epilog=EXIT_CODES_HELP)
    _common_model_args(b)
    b.add_argument("-o", "--output", help="output directory (default ./out)")
    b.add_argument("--quiet", action="store_true", help="no progress indicator")
    b.add_argument("--emit", choices=["c", "llvm"], default="c",
                   help="code generator: C sources (default) or an LLVM object compiled with llvmlite")
    b.set_defaults(func=cmd_build)

    ins = sub.add_parser("inspect", help="per-layer MACs, weights, activations and arena use; does it fit the board",
                         epilog=EXIT_CODES_HELP)
    _common_model_args(ins)
    ins.add_argument("--json", metavar="FILE|-", help="also write the inspection as JSON (- : only JSON, to stdout)")
    ins.add_argument("--plot", metavar="FILE.svg|FILE.png",
                     help="draw the arena over time (needs matplotlib: pip install 'mlc[plot]')")
    ins.set_defaults(func=cmd_inspect)

    r = sub.add_parser("run", help="run the compiled model on inputs (.npy or .npz)", epilog=EXIT_CODES_HELP)
    _common_model_args(r)
    r.add_argument("--input", required=True, help="IN.npy or IN.npz (keyed by input name)")
    r.add_argument("--output", required=True, help="OUT.npy or OUT.npz (keyed by output name)")
    r.add_argument("--port", help="serial port of a real board (/dev/ttyACM0, COM3, rfc2217://...)")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.add_argument("--emit", choices=["c", "llvm"], default="c",
                   help="code generator: C sources (default) or an LLVM object compiled with llvmlite")
    r.set_defaults(func=cmd_run)

    t = sub.add_parser("test", help="run the model on the board and compare with onnxruntime", epilog=EXIT_CODES_HELP)
    _common_model_args(t)
    t.add_argument("--data", help="test data .npz (inputs by name or test_x; labels test_y)")
    t.add_argument("--json", help="write the report as JSON")
    t.add_argument("--port", help="serial port of a real board (/dev/ttyACM0, COM3, rfc2217://...)")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.add_argument("--emit", choices=["c", "llvm"], default="c",
                   help="code generator: C sources (default) or an LLVM object compiled with llvmlite")
    t.set_defaults(func=cmd_test)

    be = sub.add_parser("bench", help="instructions per inference, MACs, arena and flash of a model on a board",
                        epilog=EXIT_CODES_HELP)
    _common_model_args(be)
    be.add_argument("--emit", choices=["c", "llvm"], default="c",
                    help="code generator: C sources (default) or an LLVM object compiled with llvmlite")
    be.add_argument("--per-layer", action="store_true", help="also each layer's instructions and MACs (PROFILE)")
    be.add_argument("--json", metavar="FILE", help="also write the figures as JSON (keys: docs/benchmarks.md)")
    be.add_argument("--port", help="serial port of a real board (/dev/ttyACM0, COM3, rfc2217://...)")
    be.set_defaults(func=cmd_bench)

    f = sub.add_parser("flash", help="flash firmware to a board (emulated boards: start QEMU and serve its UART)",
                       epilog=EXIT_CODES_HELP)
    f.add_argument("firmware", help="firmware ELF (OUT/build/firmware.elf)")
    f.add_argument("--board", required=True)
    f.add_argument("--port", help="serial port (hardware boards)")
    f.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS, help="show tracebacks of errors")
    f.set_defaults(func=cmd_flash)

    o = sub.add_parser("ops", help="list the supported operators: opsets, data types, rejected cases")
    o.add_argument("--json", action="store_true", help="machine-readable output")
    o.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    o.set_defaults(func=cmd_ops)

    bo = sub.add_parser("boards", help="list the boards with their RAM and flash")
    bo.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    bo.set_defaults(func=cmd_boards)
    return ap


def _one_line(text: str) -> str:
    """Errors are one line on stderr: fold any line breaks a message (or a tool's output) carries."""
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    verbose = args.verbose
    try:
        return int(args.func(args))
    except MlcError as exc:
        if verbose:
            traceback.print_exc()
        print(f"mlc: error: {_one_line(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("mlc: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # an internal error still gets one line unless --verbose
        if verbose:
            traceback.print_exc()
        print(f"mlc: internal error: {type(exc).__name__}: {_one_line(str(exc))}; rerun with --verbose and report it",
              file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())


def main_entry() -> None:
    """Console-script entry point."""
    sys.exit(main())
