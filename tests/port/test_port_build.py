"""Board files and ports that cannot run here: every board file loads and is consistent, every hardware
port compiles -Werror clean and links inside the board's real memory, and the framing code agrees
with Python's zlib and a reference COBS."""

from __future__ import annotations

import ctypes
import random
import subprocess
import sys
import zlib

import pytest
from elftools.elf.elffile import ELFFile
from port_fw import REPO, RUNTIME, build_firmware, cobs_decode, cobs_encode, load_boards

HARDWARE_BOARDS = load_boards("hardware")
ALL_TARGETS = load_boards("qemu") + HARDWARE_BOARDS

# The -D macros each port family reads (boards/README.md); the build passes [port.defines] verbatim.
FAMILY_DEFINES = {
    "mps2": {"MLC_UART_BASE", "MLC_COUNTER_ADDR", "MLC_COUNTER_KIND"},
    "nrf51": {"MLC_UART_BASE", "MLC_UART_TX_PIN", "MLC_UART_RX_PIN", "MLC_COUNTER_BASE", "MLC_COUNTER_KIND"},
    "nrf52": {"MLC_UART_BASE", "MLC_UART_TX_PIN", "MLC_UART_RX_PIN", "MLC_COUNTER_KIND"},
    "stm32": {
        "MLC_UART_BASE", "MLC_STM32_USART_V2", "MLC_UART_BRR", "MLC_UART_RCC_ENR", "MLC_UART_RCC_BIT",
        "MLC_GPIO_BASE", "MLC_GPIO_RCC_ENR", "MLC_GPIO_RCC_BIT", "MLC_UART_TX_PIN", "MLC_UART_RX_PIN",
        "MLC_UART_AF", "MLC_COUNTER_KIND",
    },
    "rp2040": {"MLC_UART_BASE", "MLC_UART_TX_PIN", "MLC_UART_RX_PIN", "MLC_COUNTER_ADDR", "MLC_COUNTER_KIND"},
}


def test_every_board_loads_through_toolchain():
    sys.path.insert(0, str(REPO))
    from toolchain.boards import list_boards

    boards = {b.name: b for b in list_boards()}
    expected = {
        "host", "cortex-m0", "cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55",
        "nucleo-l4r5zi", "nucleo-f746zg", "stm32f4-discovery", "nrf52840dk", "rpi-pico",
    }
    assert expected <= set(boards)
    for board in boards.values():
        assert board.path is not None and board.path.stem == board.name


@pytest.mark.parametrize("board", ALL_TARGETS, ids=[b["name"] for b in ALL_TARGETS])
def test_board_file_is_consistent(board):
    memory, port = board["memory"], board["port"]
    assert board["ram_bytes"] == memory["ram_length"]
    flash = memory["flash_length"] + memory.get("const_length", 0) - memory.get("boot2_bytes", 0)
    assert board["flash_bytes"] == flash
    assert 0 < board["stack_bytes"] < board["ram_bytes"] // 2
    assert FAMILY_DEFINES[port["family"]] <= set(port["defines"]), "a macro the port needs is missing"
    assert (RUNTIME / "port" / port["family"]).is_dir()
    assert board["float_abi"] in ("soft", "hard")
    assert f"-mfloat-abi={board['float_abi']}" in board["cflags"]
    assert {"triple", "cpu", "features"} <= set(board["llvm"])
    assert board["llvm"]["triple"].endswith("eabihf") == (board["float_abi"] == "hard")
    if board["kind"] == "qemu":
        assert port["defines"].get("MLC_PORT_SEMIHOSTING") == 1
        assert any("{port}" in arg for arg in board["flash"]["command"])
    else:
        assert "MLC_PORT_SEMIHOSTING" not in port["defines"], "a BKPT without a debugger locks the core"


@pytest.mark.parametrize("board", HARDWARE_BOARDS, ids=[b["name"] for b in HARDWARE_BOARDS])
def test_hardware_port_compiles_and_links(board, tmp_path):
    elf = build_firmware(board, tmp_path)
    memory = board["memory"]
    with open(elf, "rb") as handle:
        sections = {s.name: s for s in ELFFile(handle).iter_sections()}
        vectors = sections[".isr_vector"]["sh_addr"]
        ram_end = max(
            sections[name]["sh_addr"] + sections[name]["sh_size"] for name in (".data", ".bss") if name in sections
        )
    assert vectors == memory["flash_origin"] + memory.get("boot2_bytes", 0)
    assert ram_end + board["stack_bytes"] <= memory["ram_origin"] + memory["ram_length"]


def test_linker_script_rejects_ram_overflow(tmp_path):
    # An arena larger than the micro:bit's 16 KB must fail at link time, naming the cause.
    board = next(b for b in load_boards("qemu") if b["name"] == "cortex-m0")
    big = tmp_path / "big.h"
    big.write_text('#include "mlc_app_config.h"\n#undef MLC_ARENA_SIZE\n#define MLC_ARENA_SIZE 20000\n')
    with pytest.raises(AssertionError, match="RAM overflow"):
        build_firmware(board, tmp_path / "out", ("-include", str(big)))


# ---- frame.c on the host -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def frame_lib(tmp_path_factory):
    lib = tmp_path_factory.mktemp("frame") / "libframe.so"
    subprocess.run(
        ["cc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
         "-I", str(RUNTIME / "include"), str(RUNTIME / "device" / "frame.c"), "-o", str(lib)],
        check=True,
    )
    dll = ctypes.CDLL(str(lib))
    dll.mlc_crc32.restype = ctypes.c_uint32
    dll.mlc_crc32.argtypes = [ctypes.c_uint32, ctypes.c_char_p, ctypes.c_size_t]
    dll.mlc_cobs_decode.restype = ctypes.c_size_t
    dll.mlc_cobs_decode.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    return dll


def c_encode(lib, data: bytes) -> bytes:
    out = bytearray()
    put = ctypes.CFUNCTYPE(None, ctypes.c_uint8)(out.append)
    lib.mlc_cobs_encode.argtypes = [ctypes.c_char_p, ctypes.c_size_t, type(put)]
    lib.mlc_cobs_encode(data, len(data), put)
    return bytes(out)


def c_decode(lib, encoded: bytes):
    buf = ctypes.create_string_buffer(encoded, len(encoded))
    n = lib.mlc_cobs_decode(buf, len(encoded))
    return None if n == ctypes.c_size_t(-1).value else buf.raw[:n]


def samples():
    rng = random.Random(7)
    cases = [b"", b"\x00", b"\x00\x00", b"\x01", bytes(range(1, 255)), bytes(range(1, 256)), b"\x01" * 254 + b"\x00"]
    cases += [b"\x05" * n for n in (253, 254, 255, 508, 509, 600)]
    cases += [bytes(rng.choice((0, rng.randrange(256))) for _ in range(rng.randrange(700))) for _ in range(200)]
    return cases


def test_crc32_matches_zlib(frame_lib):
    for data in samples():
        assert frame_lib.mlc_crc32(0, data, len(data)) == zlib.crc32(data)
    head, tail = b"hello ", b"world"
    assert frame_lib.mlc_crc32(frame_lib.mlc_crc32(0, head, 6), tail, 5) == zlib.crc32(head + tail)


def test_cobs_round_trips_and_matches_reference(frame_lib):
    for data in samples():
        encoded = c_encode(frame_lib, data)
        assert encoded.endswith(b"\x00") and 0 not in encoded[:-1]
        assert cobs_decode(encoded[:-1]) == data
        assert c_decode(frame_lib, cobs_encode(data)) == data
        assert c_decode(frame_lib, encoded[:-1]) == data


@pytest.mark.parametrize("bad", [b"\x00", b"\x03\x01", b"\x05\x01\x02", b"\x02\x00", b"\x03\x01\x00"])
def test_cobs_rejects_malformed(frame_lib, bad):
    assert c_decode(frame_lib, bad) is None
