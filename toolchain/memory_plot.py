"""The arena over time as a picture: each buffer a rectangle spanning its lifetime (layer steps,
across) and its offset range (bytes, up), labelled with its tensor name.

matplotlib is optional (`pip install 'mlc[plot]'`). Output is byte-identical for identical input:
no date in the metadata, a fixed SVG hash salt, glyphs as paths.
"""

from __future__ import annotations

from pathlib import Path

from toolchain.errors import UsageError
from toolchain.inspect_model import Inspection

FORMATS = (".svg", ".png")
INSTALL_HINT = "install it with `pip install 'mlc[plot]'` (or `pip install matplotlib`)"


def available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def plot_memory(ins: Inspection, path: str | Path) -> Path:
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise UsageError(f"--plot {path}: the picture must end in .svg or .png")
    if not path.parent.is_dir():
        raise UsageError(f"--plot {path}: folder {path.parent} does not exist; create it or pick another path")
    try:
        import matplotlib
        from matplotlib.figure import Figure
        from matplotlib.patches import Rectangle
    except ImportError:
        raise UsageError(f"--plot needs matplotlib; {INSTALL_HINT}") from None

    steps = len(ins.layers)
    top = max(ins.arena_bytes, 1)
    with matplotlib.rc_context({"svg.hashsalt": "mlc-memory-plot", "svg.fonttype": "path",
                                "path.simplify": False, "font.size": 7}):
        fig = Figure(figsize=(min(4 + 0.35 * (steps + 2), 24), 5), dpi=100)
        ax = fig.add_subplot()
        colours = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f")
        for k, b in enumerate(ins.buffers):
            x0 = b.start - 0.5
            width = b.end - b.start + 1
            scratch = b.name.endswith("#scratch")
            ax.add_patch(Rectangle((x0, b.offset), width, b.size, facecolor=colours[k % len(colours)],
                                   edgecolor="black", linewidth=0.4, alpha=0.45 if scratch else 0.75,
                                   hatch="//" if scratch else None,
                                   # The id names the buffer and its placement, so the SVG can be checked.
                                   gid=f"mlc-buffer offset={b.offset} size={b.size} steps={b.start}..{b.end} {b.name}"))
            if b.size >= 0.04 * top:
                label = b.name if len(b.name) <= 24 else b.name[:11] + "..." + b.name[-10:]
                ax.text(x0 + width / 2, b.offset + b.size / 2, f"{label}\n{b.size} B", ha="center", va="center",
                        fontsize=6, clip_on=True)
        ax.axhline(ins.lower_bound_bytes, color="grey", linestyle="--", linewidth=0.8)
        ax.set_xlim(-1.5, steps + 0.5)
        ax.set_ylim(0, top * 1.05)
        if steps <= 60:
            ax.set_xticks(range(-1, steps + 1))
            ax.set_xticklabels(["in"] + [str(r.step) for r in ins.layers] + ["out"], fontsize=6)
        ax.set_xlabel("step (layer); in = before the first layer, out = after the last")
        ax.set_ylabel("arena offset (bytes)")
        ax.set_title(f"{ins.model}: arena {ins.arena_bytes} B (lower bound {ins.lower_bound_bytes} B, dashed)")
        fig.tight_layout()
        fmt = path.suffix.lower()[1:]
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        fig.savefig(path, format=fmt, metadata=metadata)
    return path
