"""Flash runners: one class per tool, each declaring what it can do (after Zephyr's west runners).

`open_session(board, elf, port)` is the one entry point the CLI needs:

    with open_session(board, Path("out/firmware.elf"), port=args.port) as client:
        outputs, ticks = infer(client, inputs)

Board files choose the runner in their [flash] table. A `command` list (with {elf}, {bin}, {hex}, {uf2},
{port} = QEMU's TCP port, {user}) overrides the runner's built-in command line; without one the runner
builds it from its own keys:

    runner = "qemu"      machine = "mps2-an386"; icount_shift = 6
    runner = "openocd"   config = ["interface/stlink.cfg", "target/stm32f4x.cfg"]
    runner = "pyocd"     target = "stm32f411ce"
    runner = "st-flash"  address = 0x08000000    (default: memory.flash_origin)
    runner = "uf2"       volume = "/media/me/RPI-RP2" or volume_label = "RPI-RP2"; family_id = 0xe48bff56
    runner = "picotool"
    runner = "nrfjprog"  family = "NRF52"
Every runner also takes `args` (appended to its command). Hardware runners read `serial` (the default
for --port) and `baud`. [flash.alternatives] maps other runner names to their command lines, chosen with
`runner=` (for example st-flash instead of openocd). Images named in a command (.bin, .hex, .uf2) are
made from the ELF with the board's objcopy.

QEMU sessions never leak an emulator: the process is killed and reaped when the session closes (normal
exit, exception, KeyboardInterrupt), at interpreter exit (atexit), and on Linux also when the Python process
dies outright (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import atexit
import ctypes
import getpass
import glob
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, ClassVar

from toolchain.boards import Board
from toolchain.device import (
    DEFAULT_RUN_TIMEOUT,
    DEFAULT_TIMEOUT,
    DEFAULT_TRIES,
    DeviceClient,
)
from toolchain.errors import BoardError, UsageError

QEMU = "qemu-system-arm"
QEMU_CONNECT_TIMEOUT = 10.0  # seconds for QEMU to start listening on its serial port
FLASH_TIMEOUT = 180.0  # seconds a flashing tool may take
_TERMINATE_GRACE = 2.0  # seconds between SIGTERM and SIGKILL


@dataclass(frozen=True)
class RunnerCaps:
    flashes: bool  # writes the firmware into the board's non-volatile memory
    emulates: bool  # runs the firmware itself; no serial port from the user
    needs_port: bool  # the session needs --port


@dataclass(frozen=True)
class LinkSettings:
    """Per-request timing of the DeviceClient a session opens (see toolchain/device.py)."""

    timeout: float = DEFAULT_TIMEOUT
    run_timeout: float = DEFAULT_RUN_TIMEOUT
    tries: int = DEFAULT_TRIES


# --- sessions -------------------------------------------------------------------------------------


class Session:
    """An open link to running firmware; a context manager yielding the DeviceClient."""

    def __init__(self, client: DeviceClient) -> None:
        self.client = client

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> DeviceClient:
        return self.client

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


_LIVE_QEMU: dict[int, subprocess.Popen[bytes]] = {}


def _reap(proc: subprocess.Popen[bytes]) -> None:
    """Terminate, then kill, and always wait, so no zombie or stray emulator is left."""
    try:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=_TERMINATE_GRACE)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    finally:
        _LIVE_QEMU.pop(proc.pid, None)


@atexit.register
def _reap_all() -> None:
    for proc in list(_LIVE_QEMU.values()):
        _reap(proc)


class QemuSession(Session):
    """A QEMU process plus the client on its serial socket. `close()` kills and reaps QEMU."""

    def __init__(self, proc: subprocess.Popen[bytes], log: IO[bytes], client: DeviceClient, port: int) -> None:
        super().__init__(client)
        self.proc = proc
        self.tcp_port = port
        self._log = log

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def returncode(self) -> int | None:
        return self.proc.poll()

    def output(self) -> str:
        """What QEMU wrote to stdout/stderr so far (semihosting text, QEMU errors)."""
        return _read_log(self._log)

    def wait_exit(self, timeout: float = 5.0) -> int | None:
        """After EXIT: wait for QEMU to stop on its own; None if it did not within `timeout`."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def close(self) -> None:
        try:
            super().close()  # client first: our side of the TCP link takes TIME_WAIT, not QEMU's port
        finally:
            _reap(self.proc)
            self._log.close()


def _qemu_complaint(text: str, returncode: int | None) -> str:
    """QEMU's own error line ("qemu-system-arm: unsupported machine type"), else its last line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if line.startswith(f"{QEMU}:"):
            return line.removeprefix(f"{QEMU}:").strip()
    return lines[-1] if lines else f"exit code {returncode}"


def _read_log(log: IO[bytes]) -> str:
    try:
        log.flush()
        log.seek(0)
        return log.read().decode("utf-8", errors="replace")
    except (OSError, ValueError):
        return ""


# --- runners --------------------------------------------------------------------------------------


def expand(template: list[str], values: dict[str, str]) -> list[str]:
    """Fill {elf}, {bin}, {hex}, {uf2}, {port}, {user} in each argument (plain replace: Tcl braces survive)."""
    out = []
    for arg in template:
        arg = str(arg)
        for key, value in values.items():
            arg = arg.replace("{" + key + "}", value)
        out.append(arg)
    return out


@dataclass(frozen=True)
class Images:
    """Where each firmware image format goes; only the formats a command names are produced."""

    elf: Path
    bin: Path
    hex: Path
    uf2: Path

    @classmethod
    def under(cls, elf: Path, workdir: Path) -> Images:
        return cls(elf, workdir / "firmware.bin", workdir / "firmware.hex", workdir / "firmware.uf2")

    def values(self) -> dict[str, str]:
        return {"elf": str(self.elf), "bin": str(self.bin), "hex": str(self.hex), "uf2": str(self.uf2), **_user()}


class Runner(ABC):
    """One flashing/emulation tool. Subclasses declare name, caps, tool and install hint.

    `settings` is the board's [flash] table (or one of its [flash.alternatives]); a `command` list in it
    overrides the runner's built-in command line.
    """

    name: ClassVar[str]
    caps: ClassVar[RunnerCaps]
    tool: ClassVar[str | None]  # executable the built-in command needs (None: no external tool)
    install_hint: ClassVar[str]

    def __init__(self, board: Board, settings: dict[str, Any] | None = None) -> None:
        self.board = board
        self.settings: dict[str, Any] = dict(board.flash if settings is None else settings)

    def where(self) -> str:
        return str(self.board.path) if self.board.path else f"board {self.board.name}"

    def setting(self, key: str, default: Any = None, *, required: bool = False) -> Any:
        if key in self.settings:
            return self.settings[key]
        if required:
            raise UsageError(
                f"{self.where()}: [flash] needs {key!r} for runner {self.name!r}; add it to the board file"
            )
        return default

    def template(self) -> list[str] | None:
        command = self.settings.get("command")
        if command is None:
            return None
        if not isinstance(command, list) or not command:
            raise UsageError(f"{self.where()}: [flash] command must be a non-empty list of strings")
        return [str(a) for a in command]

    def extra_args(self) -> list[str]:
        return [str(a) for a in self.setting("args", [])]

    def require_tool(self, tool: str | None = None) -> str:
        """Full path of `tool` (default: this runner's), or BoardError saying how to install it."""
        tool = tool or self.tool
        if tool is None:
            return ""
        found = shutil.which(tool)
        if found is None:
            raise BoardError(f"{tool} is not installed (needed for board {self.board.name}); {_install_hint(tool)}")
        return found

    @abstractmethod
    def open_session(self, elf: Path, port: str | None, link: LinkSettings) -> Session: ...


class QemuRunner(Runner):
    """Runs the firmware in qemu-system-arm with its UART on a local TCP port."""

    name = "qemu"
    caps = RunnerCaps(flashes=False, emulates=True, needs_port=False)
    tool = QEMU
    install_hint = "install it with: sudo apt-get install qemu-system-arm"

    def command(self, elf: Path, tcp_port: int) -> list[str]:
        """The board's `command` template if it has one, else the built-in line for its `machine`."""
        template = self.template()
        if template is not None:
            return [*expand(template, {"elf": str(elf), "port": str(tcp_port), **_user()}), *self.extra_args()]
        machine = self.setting("machine", required=True)
        shift = int(self.setting("icount_shift", 6))
        return [
            QEMU, "-M", str(machine), "-nographic", "-monitor", "none", "-kernel", str(elf),
            # wait=on: the CPU starts only once we are connected, so no early output is lost.
            "-serial", f"tcp:127.0.0.1:{tcp_port},server=on,wait=on,nodelay=on",
            # Deterministic instruction counts: 2**shift ns virtual time per instruction (docs/protocol.md).
            "-icount", f"shift={shift},align=off,sleep=off",
            "-semihosting-config", "enable=on,target=native",
            *self.extra_args(),
        ]  # fmt: skip

    def start(self, elf: Path) -> tuple[subprocess.Popen[bytes], IO[bytes], int]:
        """Start QEMU listening on a free port: (process, its output log, TCP port). Caller must _reap()."""
        for _ in range(3):  # the free port can be taken between our probe and QEMU's bind: pick again
            tcp_port = _free_tcp_port()
            cmd = self.command(elf, tcp_port)
            cmd[0] = self.require_tool(cmd[0])
            # A file, not a pipe: chatty semihosting output must never block QEMU on a full pipe.
            # Append mode: QEMU shares the file offset, and our reads must not make it overwrite.
            log = tempfile.TemporaryFile(mode="a+b", prefix="mlc-qemu-")  # noqa: SIM115  (lives with the session)
            try:
                # preexec_fn only calls a libc function resolved before the fork, safe with our threads.
                proc = subprocess.Popen(
                    cmd,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    preexec_fn=_die_with_parent,  # noqa: PLW1509
                )
            except OSError as exc:
                log.close()
                raise BoardError(f"cannot start {cmd[0]}: {exc.strerror}; check the QEMU installation") from None
            _LIVE_QEMU[proc.pid] = proc
            # Wait until QEMU listens (or dies): probing by connecting would consume its one client slot.
            deadline = time.monotonic() + QEMU_CONNECT_TIMEOUT
            while proc.poll() is None and not _listening(tcp_port):
                if time.monotonic() > deadline:
                    _reap(proc)
                    log.close()
                    raise BoardError(
                        f"QEMU for board {self.board.name} did not open its serial port within "
                        f"{QEMU_CONNECT_TIMEOUT:g} s; check that {QEMU} runs on this machine"
                    )
                time.sleep(0.01)
            if proc.poll() is None:
                return proc, log, tcp_port
            _reap(proc)
            text = _read_log(log)
            log.close()
            if "Address already in use" not in text:
                raise BoardError(
                    f"QEMU for board {self.board.name} stopped at start: {_qemu_complaint(text, proc.returncode)}; "
                    f"check the [flash] table of {self.where()}"
                )
        raise BoardError("no free TCP port for QEMU's serial line after 3 tries; close other emulators and retry")

    def open_session(self, elf: Path, port: str | None, link: LinkSettings) -> Session:
        if port:  # attach to an emulator the user started (mlc flash serves one)
            return Session(_client(port, link))
        proc, log, tcp_port = self.start(elf)
        try:
            client = self._connect(proc, f"socket://127.0.0.1:{tcp_port}", link)
        except BaseException:  # KeyboardInterrupt included: never leave QEMU behind
            _reap(proc)
            log.close()
            raise
        return QemuSession(proc, log, client, tcp_port)

    def _connect(self, proc: subprocess.Popen[bytes], url: str, link: LinkSettings) -> DeviceClient:
        # Connection refused costs nothing, so retrying until QEMU accepts is safe where _listening guesses.
        deadline = time.monotonic() + QEMU_CONNECT_TIMEOUT
        while True:
            try:
                return _client(url, link)
            except BoardError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def serve(self, elf: Path, out: IO[str] = sys.stdout) -> int:
        """Run QEMU until it exits or Ctrl-C, for a client the user connects; returns QEMU's exit code."""
        proc, log, tcp_port = self.start(elf)
        url = f"socket://127.0.0.1:{tcp_port}"
        print(f"{self.board.name}: QEMU runs {elf}; connect with --port {url} (Ctrl-C stops it)", file=out, flush=True)
        try:
            return proc.wait()
        except KeyboardInterrupt:
            return 130
        finally:
            _reap(proc)
            log.close()


class _ToolRunner(Runner):
    """A hardware runner: run the flashing command, then open the board's serial port."""

    caps = RunnerCaps(flashes=True, emulates=False, needs_port=True)

    @abstractmethod
    def default_command(self, images: Images) -> list[str]:
        """The built-in command line, from the runner's own [flash] keys."""

    def commands(self, elf: Path, workdir: Path) -> list[list[str]]:
        """Command lines that flash `elf` (pure; image files they name are made by flash())."""
        images = Images.under(elf, workdir)
        template = self.template()
        if template is not None:
            return [[*expand(template, images.values()), *self.extra_args()]]
        return [self.default_command(images)]

    def flash(self, elf: Path) -> None:
        with tempfile.TemporaryDirectory(prefix="mlc-flash-") as tmp:
            workdir = Path(tmp)
            commands = self.commands(elf, workdir)
            for cmd in commands:
                cmd[0] = self.require_tool(cmd[0])
            self.make_images(elf, Images.under(elf, workdir), {arg for cmd in commands for arg in cmd})
            for cmd in commands:
                _run_tool(cmd, self.board.name)

    def make_images(self, elf: Path, images: Images, args: set[str]) -> None:
        """Produce the .bin/.hex/.uf2 files that appear in the command arguments."""
        used = " ".join(args)
        sibling = elf.with_suffix(".uf2")  # a build that already made the image knows its layout best
        need_uf2 = str(images.uf2) in used
        if str(images.bin) in used or (need_uf2 and not sibling.is_file()):
            self.objcopy(elf, images.bin, "binary")
        if str(images.hex) in used:
            self.objcopy(elf, images.hex, "ihex")
        if need_uf2 and sibling.is_file():
            shutil.copyfile(sibling, images.uf2)
        elif need_uf2:
            base = int(self.setting("address", self.board.memory.get("flash_origin", 0x10000000)))
            family = int(self.setting("family_id", 0xE48BFF56))  # RP2040
            images.uf2.write_bytes(bin_to_uf2(images.bin.read_bytes(), base, family))

    def open_session(self, elf: Path, port: str | None, link: LinkSettings) -> Session:
        port = port or self.setting("serial")
        if not port:
            raise UsageError(
                f"board {self.board.name} is real hardware: pass its serial port with --port ({_port_hint()})"
            )
        port = str(port)
        if "://" not in port and port.startswith("/") and not os.path.exists(port):
            # Checked before flashing: a wrong --port should not cost a flash cycle (or need the tool).
            raise BoardError(f"serial port {port} does not exist; check the --port value ({_port_hint()})")
        self.flash(elf)
        return Session(_client(str(port), link, baudrate=int(self.setting("baud", self.setting("baudrate", 115200)))))

    def objcopy(self, elf: Path, out: Path, fmt: str) -> None:
        found = self.require_tool(f"{self.board.toolchain_prefix or 'arm-none-eabi-'}objcopy")
        _run_tool([found, "-O", fmt, str(elf), str(out)], self.board.name)


class OpenOcdRunner(_ToolRunner):
    name = "openocd"
    tool = "openocd"
    install_hint = "install it with: sudo apt-get install openocd"

    def default_command(self, images: Images) -> list[str]:
        configs = self.setting("config", required=True)
        configs = [configs] if isinstance(configs, str) else list(configs)
        cmd = ["openocd"]
        for cfg in configs:
            cmd += ["-f", str(cfg)]
        return [*cmd, *self.extra_args(), "-c", f"program {{{images.elf}}} verify reset exit"]


class PyOcdRunner(_ToolRunner):
    name = "pyocd"
    tool = "pyocd"
    install_hint = "install it with: pip install pyocd"

    def default_command(self, images: Images) -> list[str]:
        target = self.setting("target", required=True)
        return ["pyocd", "load", "--target", str(target), *self.extra_args(), str(images.elf)]


class StFlashRunner(_ToolRunner):
    name = "st-flash"
    tool = "st-flash"
    install_hint = "install it with: sudo apt-get install stlink-tools"

    def default_command(self, images: Images) -> list[str]:
        address = int(self.setting("address", self.board.memory.get("flash_origin", 0x08000000)))
        return ["st-flash", "--reset", *self.extra_args(), "write", str(images.bin), hex(address)]


class PicotoolRunner(_ToolRunner):
    name = "picotool"
    tool = "picotool"
    install_hint = "build it from https://github.com/raspberrypi/picotool (or apt-get install picotool on Debian 13+)"

    def default_command(self, images: Images) -> list[str]:
        # -x starts the program after loading; -f reboots a running Pico into BOOTSEL first.
        return ["picotool", "load", "-x", "-f", *self.extra_args(), str(images.elf), "-t", "elf"]


class NrfjprogRunner(_ToolRunner):
    name = "nrfjprog"
    tool = "nrfjprog"
    install_hint = (
        "install Nordic's nRF Command Line Tools from "
        "https://www.nordicsemi.com/Products/Development-tools/nRF-Command-Line-Tools"
    )

    def default_command(self, images: Images) -> list[str]:
        family = str(self.setting("family", "NRF52"))
        return ["nrfjprog", "-f", family, "--program", str(images.hex), "--sectorerase", "--verify", "--reset",
                *self.extra_args()]  # fmt: skip


class Uf2Runner(_ToolRunner):
    """Copies a UF2 image onto the board's USB mass-storage drive (the board must be in its bootloader)."""

    name = "uf2"
    tool = None
    install_hint = ""
    settle_seconds = 2.0  # the bootloader reboots into the new image and re-enumerates the serial port

    def default_command(self, images: Images) -> list[str]:
        return []  # no external tool: flash() copies the file itself

    def volume(self) -> Path:
        explicit = self.setting("volume")
        if explicit:
            path = Path(os.path.expandvars(os.path.expanduser(str(explicit))))
            if path.is_dir():
                return path
            raise BoardError(f"UF2 drive {path} is not mounted; hold BOOTSEL while plugging the board in, then retry")
        label = str(self.setting("volume_label", "RPI-RP2"))
        for pattern in (f"/media/*/{label}", f"/run/media/*/{label}", f"/media/{label}", f"/Volumes/{label}"):
            hits = sorted(glob.glob(pattern))
            if hits:
                return Path(hits[0])
        raise BoardError(
            f"no mounted UF2 drive named {label}; hold BOOTSEL while plugging the board in, or set [flash] volume"
        )

    def flash(self, elf: Path) -> None:
        if self.template() is not None:  # e.g. command = ["cp", "{uf2}", "/media/{user}/RPI-RP2/"]
            super().flash(elf)
        else:
            target = self.volume()
            with tempfile.TemporaryDirectory(prefix="mlc-flash-") as tmp:
                images = Images.under(elf, Path(tmp))
                self.make_images(elf, images, {str(images.uf2)})
                try:
                    shutil.copyfile(images.uf2, target / "firmware.uf2")
                except OSError as exc:
                    raise BoardError(
                        f"copying the UF2 image to {target} failed: {exc.strerror}; remount the drive"
                    ) from None
        time.sleep(self.settle_seconds)


RUNNERS: dict[str, type[Runner]] = {
    cls.name: cls
    for cls in (QemuRunner, OpenOcdRunner, PyOcdRunner, StFlashRunner, Uf2Runner, PicotoolRunner, NrfjprogRunner)
}


def runner_for(board: Board, runner: str | None = None) -> Runner:
    """The board's runner, or `runner` (one of its [flash.alternatives], or a built-in runner name)."""
    primary = str(board.flash.get("runner", "none"))
    name = runner or primary
    where = str(board.path) if board.path else f"board {board.name}"
    if name not in RUNNERS:
        if board.runs_runner or name == "none":
            raise UsageError(f"board {board.name} has no flash runner (it runs on the host or under QEMU user mode); "
                             "pick an embedded board")
        raise UsageError(f"{where}: unknown [flash] runner {name!r}; choose one of: {', '.join(RUNNERS)}")
    if name == primary:
        return RUNNERS[name](board)
    settings = {k: v for k, v in board.flash.items() if k not in ("command", "alternatives", "runner")}
    alternatives = board.flash.get("alternatives", {})
    if name in alternatives:
        settings["command"] = alternatives[name]
    return RUNNERS[name](board, {"runner": name, **settings})


def open_session(
    board: Board,
    elf_path: Path,
    port: str | None = None,
    link: LinkSettings | None = None,
    runner: str | None = None,
) -> Session:
    """Start (QEMU) or flash (hardware) `elf_path` and open a protocol session to it.

    Use as `with open_session(...) as client:`; leaving the block closes the port and, for QEMU, kills
    and reaps the emulator. For an emulated board, `port` attaches to an already running emulator
    (see serve()) instead of starting one; for hardware it defaults to the board's [flash] serial.
    """
    elf = Path(elf_path)
    if not (port and board.is_emulated) and not elf.is_file():
        raise UsageError(f"firmware {elf} does not exist; build it first with mlc build")
    return runner_for(board, runner).open_session(elf, port, link or LinkSettings())


def flash(board: Board, elf_path: Path, runner: str | None = None) -> None:
    """Write firmware to a hardware board without opening a session."""
    elf = Path(elf_path)
    if not elf.is_file():
        raise UsageError(f"firmware {elf} does not exist; build it first with mlc build")
    chosen = runner_for(board, runner)
    if not isinstance(chosen, _ToolRunner):
        raise UsageError(f"board {board.name} is emulated; nothing to flash (use mlc run or mlc test)")
    chosen.flash(elf)


def serve(board: Board, elf_path: Path) -> int:
    """`mlc flash` for an emulated board: run QEMU on a TCP port until Ctrl-C; returns QEMU's exit code."""
    elf = Path(elf_path)
    if not elf.is_file():
        raise UsageError(f"firmware {elf} does not exist; build it first with mlc build")
    chosen = runner_for(board)
    if not isinstance(chosen, QemuRunner):
        raise UsageError(f"board {board.name} is not emulated; use mlc flash to write it")
    return chosen.serve(elf)


# --- helpers --------------------------------------------------------------------------------------


def bin_to_uf2(data: bytes, base: int, family_id: int) -> bytes:
    """UF2 image of a flat binary at `base` (256 payload bytes per 512-byte block, family ID flag set)."""
    blocks = [data[i : i + 256] for i in range(0, len(data), 256)] or [b""]
    out = bytearray()
    for n, chunk in enumerate(blocks):
        header = struct.pack(
            "<IIIIIIII", 0x0A324655, 0x9E5D5157, 0x00002000, base + 256 * n, 256, n, len(blocks), family_id
        )
        out += header + chunk.ljust(476, b"\x00") + struct.pack("<I", 0x0AB16F30)
    return bytes(out)


def _client(url: str, link: LinkSettings, baudrate: int = 115200) -> DeviceClient:
    return DeviceClient(url, timeout=link.timeout, run_timeout=link.run_timeout, tries=link.tries, baudrate=baudrate)


def _user() -> dict[str, str]:
    try:
        return {"user": getpass.getuser()}
    except (KeyError, OSError):
        return {"user": os.environ.get("USER", "")}


def _install_hint(tool: str) -> str:
    for cls in RUNNERS.values():
        if cls.tool == Path(tool).name:
            return cls.install_hint
    if tool.endswith("objcopy"):
        return "install it with: sudo apt-get install gcc-arm-none-eabi"
    return "install it, or fix the [flash] command of the board file"


def _listening(port: int) -> bool:
    """Whether something listens on 127.0.0.1:port, without connecting (Linux /proc; else assume yes)."""
    want = f"0100007F:{port:04X}"
    try:
        with open("/proc/net/tcp") as f:
            next(f)
            return any(line.split()[1] == want and line.split()[3] == "0A" for line in f)  # 0A = LISTEN
    except OSError:
        return True  # no /proc: the connect retries in _client cover the start-up


def _free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _find_prctl() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _find_prctl()  # resolved up front: the child after fork should only make the call


def _die_with_parent() -> None:
    """In the child before exec: ask Linux to SIGKILL QEMU when its parent dies (even by SIGKILL).

    Linux ties this to the thread that started QEMU: open sessions from a thread that outlives them.
    """
    if _PRCTL is not None:
        _PRCTL(1, int(signal.SIGKILL))  # 1 = PR_SET_PDEATHSIG


def _run_tool(cmd: list[str], board: str) -> None:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=FLASH_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise BoardError(
            f"{cmd[0]} did not finish within {FLASH_TIMEOUT:g} s flashing {board}; check the probe cable"
        ) from None
    except OSError as exc:
        raise BoardError(f"cannot run {cmd[0]}: {exc.strerror}; check that it is installed") from None
    if done.returncode != 0:
        text = (done.stderr or done.stdout).strip().splitlines()
        last = text[-1] if text else f"exit code {done.returncode}"
        raise BoardError(
            f"{Path(cmd[0]).name} failed flashing {board}: {last}; check the probe connection and the board file"
        )


def _port_hint() -> str:
    try:
        from serial.tools import list_ports

        ports = [p.device for p in list_ports.comports()]
    except ImportError:
        ports = []
    return "found: " + ", ".join(ports) if ports else "e.g. /dev/ttyACM0 or COM3"
