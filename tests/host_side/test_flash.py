"""Flash runners: command lines, missing tools, and QEMU sessions that never leak an emulator."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from toolchain import flash
from toolchain.boards import Board
from toolchain.errors import BoardError, UsageError
from toolchain.flash import LinkSettings, QemuSession, open_session

ROOT = Path(__file__).resolve().parents[2]
HAVE_QEMU = shutil.which("qemu-system-arm") is not None
HAVE_GCC = shutil.which("arm-none-eabi-gcc") is not None
needs_qemu = pytest.mark.skipif(not (HAVE_QEMU and HAVE_GCC), reason="qemu-system-arm or arm-none-eabi-gcc missing")
FAST = LinkSettings(timeout=0.2, run_timeout=0.2, tries=2)


def make_board(flash_table: dict[str, Any], kind: str = "qemu") -> Board:
    return Board(
        name="testboard",
        description="",
        kind=kind,
        core="cortex-m4",
        cflags=(),
        ldflags=(),
        float_abi="hard",
        kernels="ref",
        toolchain_prefix="arm-none-eabi-",
        ram_bytes=1 << 20,
        flash_bytes=1 << 20,
        stack_bytes=4096,
        memory={"flash_origin": 0x08000000},
        port={},
        flash=flash_table,
    )


QEMU_BOARD = make_board({"runner": "qemu", "machine": "mps2-an386"})


@pytest.fixture(scope="module")
def hang_elf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Firmware that never answers: a vector table whose reset handler spins forever."""
    out = tmp_path_factory.mktemp("elf")
    src = out / "hang.S"
    src.write_text(
        textwrap.dedent(
            """\
            .syntax unified
            .thumb
            .text
            .word 0x20010000
            .word reset
            .thumb_func
            reset: b reset
            """
        )
    )
    elf = out / "hang.elf"
    subprocess.run(
        ["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-nostdlib", "-Wl,-Ttext=0", "-Wl,-e,reset",
         "-o", str(elf), str(src)],
        check=True,
    )  # fmt: skip
    return elf


def _gone(pid: int, within: float = 3.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.02)
    return False


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as QEMU binds its listener
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


# --- argument and tool checks ------------------------------------------------------------------


def test_missing_elf_is_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        open_session(QEMU_BOARD, tmp_path / "nope.elf")


def test_missing_qemu_is_board_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elf = tmp_path / "fw.elf"
    elf.write_bytes(b"\x7fELF")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BoardError, match=r"qemu-system-arm is not installed.*apt-get install qemu-system-arm"):
        open_session(QEMU_BOARD, elf)


def test_qemu_command_line(tmp_path: Path) -> None:
    board = make_board({"runner": "qemu", "machine": "mps3-an547", "args": ["-cpu", "cortex-m55"]})
    cmd = flash.QemuRunner(board).command(tmp_path / "fw.elf", 4321)
    assert cmd[:3] == ["qemu-system-arm", "-M", "mps3-an547"]
    assert "tcp:127.0.0.1:4321,server=on,wait=on,nodelay=on" in cmd
    assert cmd[cmd.index("-icount") + 1] == "shift=6,align=off,sleep=off"
    assert cmd[cmd.index("-semihosting-config") + 1] == "enable=on,target=native"
    assert cmd[-2:] == ["-cpu", "cortex-m55"] and "-nographic" in cmd and str(tmp_path / "fw.elf") in cmd


def test_board_without_machine_is_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="machine"):
        flash.QemuRunner(make_board({"runner": "qemu"})).command(tmp_path / "fw.elf", 1)


def test_unknown_and_host_runners(tmp_path: Path) -> None:
    elf = tmp_path / "fw.elf"
    elf.write_bytes(b"\x7fELF")
    with pytest.raises(UsageError, match="unknown \\[flash\\] runner 'jtagmagic'"):
        open_session(make_board({"runner": "jtagmagic"}), elf)
    with pytest.raises(UsageError, match="runs on the host"):
        open_session(make_board({"runner": "none"}, kind="host"), elf)


@pytest.mark.parametrize(
    ("table", "tool", "hint"),
    [
        ({"runner": "openocd", "config": "board/st_nucleo_f4.cfg"}, "openocd", "apt-get install openocd"),
        ({"runner": "pyocd", "target": "stm32f411ce"}, "pyocd", "pip install pyocd"),
        ({"runner": "st-flash"}, "st-flash", "apt-get install stlink-tools"),
        ({"runner": "picotool"}, "picotool", "github.com/raspberrypi/picotool"),
        ({"runner": "nrfjprog", "family": "NRF52"}, "nrfjprog", "nordicsemi.com"),
    ],
)
def test_missing_flash_tool_is_board_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: dict[str, Any], tool: str, hint: str
) -> None:
    elf = tmp_path / "fw.elf"
    elf.write_bytes(b"\x7fELF")
    monkeypatch.setenv("PATH", str(tmp_path))
    port = tmp_path / "ttyACM0"  # the port must exist: a missing one is reported before flashing
    port.touch()
    with pytest.raises(BoardError, match=f"{tool} is not installed") as err:
        open_session(make_board(table, kind="hardware"), elf, port=str(port))
    assert hint in str(err.value)


def test_hardware_needs_port(tmp_path: Path) -> None:
    elf = tmp_path / "fw.elf"
    elf.write_bytes(b"\x7fELF")
    with pytest.raises(UsageError, match="--port"):
        open_session(make_board({"runner": "pyocd", "target": "x"}, kind="hardware"), elf)


def test_hardware_command_lines(tmp_path: Path) -> None:
    elf = tmp_path / "fw.elf"
    cfgs = {"runner": "openocd", "config": ["interface/stlink.cfg", "target/stm32f4x.cfg"]}
    (cmd,) = flash.OpenOcdRunner(make_board(cfgs, "hardware")).commands(elf, tmp_path)
    assert cmd == ["openocd", "-f", "interface/stlink.cfg", "-f", "target/stm32f4x.cfg", "-c",
                   f"program {{{elf}}} verify reset exit"]  # fmt: skip
    (cmd,) = flash.PyOcdRunner(make_board({"runner": "pyocd", "target": "nrf52840"}, "hardware")).commands(
        elf, tmp_path
    )
    assert cmd == ["pyocd", "load", "--target", "nrf52840", str(elf)]
    (cmd,) = flash.StFlashRunner(make_board({"runner": "st-flash"}, "hardware")).commands(elf, tmp_path)
    assert cmd == ["st-flash", "--reset", "write", str(tmp_path / "firmware.bin"), "0x8000000"]
    (cmd,) = flash.NrfjprogRunner(make_board({"runner": "nrfjprog"}, "hardware")).commands(elf, tmp_path)
    assert cmd[:3] == ["nrfjprog", "-f", "NRF52"] and str(tmp_path / "firmware.hex") in cmd
    with pytest.raises(UsageError, match="needs 'target'"):
        flash.PyOcdRunner(make_board({"runner": "pyocd"}, "hardware")).commands(elf, tmp_path)


def test_uf2_image_and_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    image = flash.bin_to_uf2(bytes(range(256)) * 2 + b"\x01", 0x10000000, 0xE48BFF56)
    assert len(image) == 3 * 512
    block = image[512:1024]
    assert block[:8] == bytes.fromhex("5546320a57515d9e") and block[-4:] == bytes.fromhex("306fb10a")
    assert int.from_bytes(block[12:16], "little") == 0x10000100  # target address of block 1
    assert int.from_bytes(block[24:28], "little") == 3  # total blocks
    elf = tmp_path / "fw.elf"
    elf.write_bytes(b"\x7fELF")
    elf.with_suffix(".uf2").write_bytes(image)
    drive = tmp_path / "RPI-RP2"
    board = make_board({"runner": "uf2", "volume": str(drive)}, "hardware")
    with pytest.raises(BoardError, match="not mounted"):
        flash.flash(board, elf)
    drive.mkdir()
    monkeypatch.setattr(flash.Uf2Runner, "settle_seconds", 0.0)
    flash.flash(board, elf)
    assert (drive / "firmware.uf2").read_bytes() == image


# --- QEMU sessions --------------------------------------------------------------------------------


@needs_qemu
def test_qemu_bad_machine_reports_qemu_error(hang_elf: Path) -> None:
    board = make_board({"runner": "qemu", "machine": "no-such-machine"})
    with pytest.raises(BoardError, match="stopped at start") as err:
        open_session(board, hang_elf, link=FAST)
    assert "\n" not in str(err.value)
    assert not flash._LIVE_QEMU


@needs_qemu
def test_qemu_silent_firmware_times_out_and_is_reaped(hang_elf: Path) -> None:
    session = open_session(QEMU_BOARD, hang_elf, link=FAST)
    assert isinstance(session, QemuSession)
    pid, port = session.pid, session.tcp_port
    start = time.monotonic()
    with pytest.raises(BoardError, match="HELLO"), session as client:
        client.hello()
    assert time.monotonic() - start < 2 * 0.2 + 1.0
    assert _gone(pid) and session.returncode is not None
    assert pid not in flash._LIVE_QEMU
    assert _port_free(port)


@needs_qemu
def test_qemu_reaped_on_keyboard_interrupt(hang_elf: Path) -> None:
    session = open_session(QEMU_BOARD, hang_elf, link=FAST)
    pid = session.pid
    with pytest.raises(KeyboardInterrupt), session:
        raise KeyboardInterrupt
    assert _gone(pid)


@needs_qemu
def test_qemu_dies_with_a_killed_parent(hang_elf: Path) -> None:
    # atexit cannot run on SIGKILL; PR_SET_PDEATHSIG must take QEMU down with its parent.
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        sys.path.insert(0, {str(ROOT)!r})
        from tests.host_side.test_flash import QEMU_BOARD
        from toolchain.flash import open_session
        s = open_session(QEMU_BOARD, Path({str(hang_elf)!r}))
        print(s.pid, flush=True)
        time.sleep(60)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        qemu_pid = int(child.stdout.readline())
        assert not _gone(qemu_pid, within=0.1)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=5)
        assert _gone(qemu_pid)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


# --- board-file command templates ---------------------------------------------------------------


def test_command_templates_are_expanded(tmp_path: Path) -> None:
    tpl = ["qemu-system-arm", "-M", "mps2-an505", "-serial", "tcp:127.0.0.1:{port},server=on", "-kernel", "{elf}"]
    board = make_board({"runner": "qemu", "command": tpl, "args": ["-d", "guest_errors"]})
    cmd = flash.QemuRunner(board).command(tmp_path / "fw.elf", 5555)
    assert cmd == ["qemu-system-arm", "-M", "mps2-an505", "-serial", "tcp:127.0.0.1:5555,server=on", "-kernel",
                   str(tmp_path / "fw.elf"), "-d", "guest_errors"]  # fmt: skip
    hw = make_board(
        {
            "runner": "openocd",
            "command": ["openocd", "-f", "board/x.cfg", "-c", "program {elf} verify reset exit"],
            "alternatives": {"st-flash": ["st-flash", "--reset", "write", "{bin}", "0x08000000"]},
            "serial": "/dev/ttyUSB7",
        },
        "hardware",
    )
    (cmd,) = flash.runner_for(hw).commands(tmp_path / "fw.elf", tmp_path)  # type: ignore[attr-defined]
    assert cmd[-1] == f"program {tmp_path / 'fw.elf'} verify reset exit"
    alt = flash.runner_for(hw, "st-flash")
    assert isinstance(alt, flash.StFlashRunner) and alt.setting("serial") == "/dev/ttyUSB7"
    (cmd,) = alt.commands(tmp_path / "fw.elf", tmp_path)
    assert cmd == ["st-flash", "--reset", "write", str(tmp_path / "firmware.bin"), "0x08000000"]


def test_shipped_board_files_give_runnable_commands(tmp_path: Path) -> None:
    from toolchain.boards import list_boards

    elf = tmp_path / "fw.elf"
    boards = [b for b in list_boards() if not b.runs_runner]  # host and Linux boards flash nothing
    if not boards:
        pytest.skip("no board files yet")
    for board in boards:
        runner = flash.runner_for(board)
        if isinstance(runner, flash.QemuRunner):
            cmd = runner.command(elf, 4242)
            assert "tcp:127.0.0.1:4242,server=on,wait=on,nodelay=on" in cmd and str(elf) in cmd, board.name
            assert any(a.startswith("shift=") for a in cmd) and "enable=on,target=native" in cmd, board.name
        else:
            for alt in (None, *board.flash.get("alternatives", {})):
                for cmd in flash.runner_for(board, alt).commands(elf, tmp_path):  # type: ignore[attr-defined]
                    assert not any("{" + k + "}" in " ".join(cmd) for k in ("elf", "bin", "hex", "uf2", "user"))


def test_emulated_board_with_port_attaches(tmp_path: Path) -> None:
    from toolchain.testing.fake_device import FakeDevice

    with FakeDevice() as dev, open_session(QEMU_BOARD, tmp_path / "absent.elf", port=dev.url, link=FAST) as client:
        assert client.hello().info.name == "fake"


@needs_qemu
def test_serve_runs_until_interrupted(hang_elf: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        sys.path.insert(0, {str(ROOT)!r})
        from tests.host_side.test_flash import QEMU_BOARD
        from toolchain.flash import serve
        sys.exit(serve(QEMU_BOARD, Path({str(hang_elf)!r})))
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        url = line.split("--port ")[1].split()[0]
        port = int(url.rsplit(":", 1)[1])
        from toolchain.device import DeviceClient

        with DeviceClient(url, timeout=0.1, tries=1) as client, pytest.raises(BoardError):
            client.hello()  # the hanging firmware never answers, but QEMU accepted us
        child.send_signal(signal.SIGINT)
        assert child.wait(timeout=10) == 130
        assert _port_free(port)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
