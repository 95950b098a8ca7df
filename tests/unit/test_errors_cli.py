"""More bad inputs through the real command line: boards, test data, serial ports and links.

Same contract as tests/unit/test_errors.py: the documented exit code (2 usage or model error, 3 board or
transport error), one line on stderr naming what is wrong, where, and how to fix it, no traceback, nothing
left behind.
"""

from __future__ import annotations

import shutil
import time

import numpy as np
import pytest

from tests.conftest import MODELS, requires_shared
from tests.unit.test_errors import assert_clean_failure, mlc
from toolchain.errors import EXIT_BOARD

pytestmark = requires_shared()

DIGITS = MODELS / "digits_cnn.onnx"
HAVE_ARM = shutil.which("arm-none-eabi-gcc") is not None


@pytest.mark.parametrize("command", ["run", "test", "inspect"])
def test_bad_board_name(tmp_path, command: str) -> None:
    extra = ["--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy"] if command == "run" else []
    proc = mlc(tmp_path, command, DIGITS, "--board", "cortex-m99", *extra)
    line = assert_clean_failure(proc, tmp_path)
    assert "cortex-m99" in line and "cortex-m4" in line  # names the bad board and the choices


def _test_data(tmp_path, path) -> str:
    proc = mlc(tmp_path, "test", DIGITS, "--board", "host", "--data", path)
    return assert_clean_failure(proc, tmp_path)


@pytest.mark.parametrize("kind", ["garbage", "empty", "truncated", "npy_not_npz", "zip_without_arrays"])
def test_garbage_data_file(tmp_path, kind: str) -> None:
    path = tmp_path / "data.npz"
    if kind == "garbage":
        path.write_bytes(np.random.default_rng(5).integers(0, 256, 3000, dtype=np.uint8).tobytes())
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated":
        np.savez(path, test_x=np.zeros((4, 1, 8, 8), np.float32))
        path.write_bytes(path.read_bytes()[:300])
    elif kind == "npy_not_npz":
        np.save(tmp_path / "data.npy", np.zeros((4, 1, 8, 8), np.float32))
        (tmp_path / "data.npy").rename(path)
    else:
        import zipfile

        with zipfile.ZipFile(path, "w") as z:
            z.writestr("readme.txt", "no arrays here")
    line = _test_data(tmp_path, path)
    assert "--data" in line and "data.npz" in line


def test_unreadable_data_file(tmp_path) -> None:
    (tmp_path / "data.npz").mkdir()  # a directory: cannot be read as a file (root ignores permission bits)
    line = _test_data(tmp_path, tmp_path / "data.npz")
    assert "--data" in line and "data.npz" in line


def test_missing_data_file(tmp_path) -> None:
    line = _test_data(tmp_path, tmp_path / "nope.npz")
    assert "nope.npz" in line and "no such file" in line


@pytest.mark.parametrize("shape", [(4, 1, 8, 9), (4, 64), (1, 2, 3, 4, 5, 6)])
def test_data_of_wrong_shape(tmp_path, shape) -> None:
    np.savez(tmp_path / "data.npz", test_x=np.zeros(shape, np.float32))
    line = _test_data(tmp_path, tmp_path / "data.npz")
    assert "data.npz" in line and str(shape) in line and "(1, 1, 8, 8)" in line


def test_labels_do_not_match_inputs(tmp_path) -> None:
    np.savez(tmp_path / "data.npz", test_x=np.zeros((4, 1, 8, 8), np.float32), test_y=np.zeros(3, np.int64))
    line = _test_data(tmp_path, tmp_path / "data.npz")
    assert "3 labels" in line and "4 inputs" in line


@pytest.mark.skipif(not HAVE_ARM, reason="needs arm-none-eabi-gcc")
def test_serial_port_that_does_not_exist(tmp_path) -> None:
    """A hardware board with a --port that is not there: exit 3 before any flashing is tried."""
    np.save(tmp_path / "x.npy", np.zeros((1, 1, 8, 8), np.float32))
    proc = mlc(tmp_path, "run", DIGITS, "--board", "nucleo-l4r5zi", "--port", "/dev/ttyNOPE",
               "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy")
    line = assert_clean_failure(proc, tmp_path, code=EXIT_BOARD, leftovers=("y.npy",))
    assert "/dev/ttyNOPE" in line and "--port" in line and "does not exist" in line


@pytest.mark.skipif(not HAVE_ARM, reason="needs arm-none-eabi-gcc")
def test_emulated_board_port_where_nothing_listens(tmp_path) -> None:
    """docs/protocol.md: a board that never answers fails within 10 s; a refused connection at once."""
    start = time.monotonic()
    proc = mlc(tmp_path, "test", DIGITS, "--board", "cortex-m4", "--port", "socket://127.0.0.1:1", "--quiet")
    elapsed = time.monotonic() - start
    line = assert_clean_failure(proc, tmp_path, code=EXIT_BOARD)
    assert "socket://127.0.0.1:1" in line and "--port" in line
    assert elapsed < 60, f"took {elapsed:.1f} s (firmware build included)"


@pytest.mark.skipif(not HAVE_ARM, reason="needs arm-none-eabi-gcc")
def test_refused_link_fails_within_the_documented_time(tmp_path) -> None:
    from toolchain.boards import load_board
    from toolchain.build import build
    from toolchain.errors import BoardError
    from toolchain.flash import open_session

    board = load_board("cortex-m4")
    res = build(DIGITS, board, tmp_path / "out")
    start = time.monotonic()
    with pytest.raises(BoardError) as err:
        with open_session(board, res.artifact, port="socket://127.0.0.1:1") as client:
            client.hello()
    assert time.monotonic() - start < 10.5
    assert "\n" not in str(err.value)


def test_output_directory_under_a_file(tmp_path) -> None:
    (tmp_path / "afile").write_text("")
    proc = mlc(tmp_path, "build", DIGITS, "-o", tmp_path / "afile" / "OUT")
    line = assert_clean_failure(proc, tmp_path)
    assert "afile" in line and "-o" in line


def test_json_report_in_missing_folder(tmp_path) -> None:
    """Checked before the build and the run, not after them."""
    proc = mlc(tmp_path, "test", DIGITS, "--json", tmp_path / "nodir" / "r.json")
    line = assert_clean_failure(proc, tmp_path)
    assert "--json" in line and "nodir" in line


@pytest.mark.parametrize("kind", ["nan", "inf", "empty", "wrong_shape", "no_key"])
def test_bad_calibration_inputs(tmp_path, kind: str) -> None:
    """Calibration that would make no sense (a NaN range, no samples, another model's inputs) is refused."""
    path = tmp_path / ("calib.npz" if kind == "no_key" else "calib.npy")
    x = np.random.default_rng(0).random((4, 1, 8, 8), dtype=np.float32)
    if kind in ("nan", "inf"):
        x[2, 0, 3, 3] = np.nan if kind == "nan" else np.inf
        np.save(path, x)
    elif kind == "empty":
        np.save(path, x[:0])
    elif kind == "wrong_shape":
        np.save(path, x[:, :, :5])
    else:
        np.savez(path, a=x, b=x)
    proc = mlc(tmp_path, "build", DIGITS, "--quantize", "int8", "--calib", path, "-o", tmp_path / "out")
    line = assert_clean_failure(proc, tmp_path)
    assert path.name in line
    if kind in ("nan", "inf"):
        assert "sample 2" in line and "NaN or inf" in line
