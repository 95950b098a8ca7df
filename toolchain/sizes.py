"""RAM and flash use of a built ELF, read with pyelftools (no parsing of tool output)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile

from toolchain.boards import Board
from toolchain.lower import Program


@dataclass
class SizeReport:
    code: int  # executable sections
    constants: int  # model constants (weights and parameters in flash)
    other_rodata: int  # read-only data that is not model constants (strings, tables)
    data: int  # initialised RAM (.data; its image is in flash too)
    bss: int  # zero-initialised RAM, arena included
    arena: int
    stack: int
    arena_in_bss: bool  # firmware keeps the arena in .bss; the host runner allocates it

    @property
    def _arena_outside(self) -> int:
        return 0 if self.arena_in_bss else self.arena

    @property
    def static_data(self) -> int:
        """RAM outside the arena and stack."""
        return max(self.data + self.bss + self._arena_outside - self.arena, 0)

    @property
    def ram_total(self) -> int:
        return self.data + self.bss + self._arena_outside + self.stack

    @property
    def flash_total(self) -> int:
        return self.code + self.constants + self.other_rodata + self.data


def measure(elf: Path, program: Program, board: Board) -> SizeReport:
    code = ro = data = bss = 0
    with open(elf, "rb") as fh:
        f = ELFFile(fh)
        for sec in f.iter_sections():
            flags = sec["sh_flags"]
            if not flags & SH_FLAGS.SHF_ALLOC:
                continue
            size = sec["sh_size"]
            if sec["sh_type"] == "SHT_NOBITS":
                if not sec.name.startswith((".stack", ".heap")):
                    bss += size
            elif flags & SH_FLAGS.SHF_EXECINSTR:
                code += size
            elif flags & SH_FLAGS.SHF_WRITE:
                data += size
            else:
                ro += size
    constants = min(program.const_bytes, ro)
    return SizeReport(code, constants, ro - constants, data, bss, program.arena_size, board.stack_bytes,
                      arena_in_bss=not board.runs_runner)
