#!/usr/bin/python3
"""Exact instruction count of one inference of a Kiln model built by bench/cortexm.sh for the
MPS2 AN386 (Cortex-M4), with Debian's python3-unicorn: every executed instruction is counted by
a code hook, so this cross-checks the SysTick-under-icount measurement of bench/cortexm.sh.

    count_unicorn.py bench.elf       (prints "instructions N" for the second of two kiln_run calls)

The ELF is loaded by its segments' virtual addresses (so .data needs no start-up copy and .bss is
zero), kiln_run is called directly on the same pseudo-random input bench_main.c uses, twice, and
the second call is counted. The build must not use the FPU (unicorn does not model the register
that enables it): bench/cortexm.sh builds the cross-check with -mfloat-abi=soft for both QEMU
and this count.
"""
import struct
import sys

from unicorn import UC_ARCH_ARM, UC_HOOK_CODE, UC_MODE_MCLASS, UC_MODE_THUMB, Uc
from unicorn import arm_const as a

RAM_TOP = 0x20400000
STOP = 0x003FFF00  # an address in code memory that nothing executes: kiln_run returns here


def load(path):
    data = open(path, "rb").read()
    assert data[:4] == b"\x7fELF" and data[4] == 1, "a 32-bit ELF"
    phoff, shoff = struct.unpack_from("<II", data, 0x1C)
    phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from("<HHHHH", data, 0x2A)
    segments = []
    for i in range(phnum):
        p_type, p_offset, p_vaddr, _, p_filesz, _ = struct.unpack_from(
            "<IIIIII", data, phoff + i * phentsize)
        if p_type == 1 and p_filesz:
            segments.append((p_vaddr, data[p_offset:p_offset + p_filesz]))
    # The symbol table, for kiln_run's address.
    sections = [struct.unpack_from("<IIIIIIIIII", data, shoff + i * shentsize)
                for i in range(shnum)]
    symbols = {}
    for s in sections:
        if s[1] == 2:  # SHT_SYMTAB
            strtab = sections[s[6]]
            for j in range(s[5] // 16):
                name, value, _, _, _, _ = struct.unpack_from("<IIIBBH", data, s[4] + j * 16)
                end = data.index(b"\0", strtab[4] + name)
                symbols[data[strtab[4] + name:end].decode()] = value
    return segments, symbols


def main():
    segments, symbols = load(sys.argv[1])
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
    uc.ctl_set_cpu_model(a.UC_CPU_ARM_CORTEX_M4)
    uc.mem_map(0x00000000, 0x400000)
    uc.mem_map(0x20000000, 0x400000)
    for addr, blob in segments:
        uc.mem_write(addr, blob)
    # The same input as bench_main.c: a 32-bit LCG, top byte of each step, seed 14.
    n_in = struct.unpack("<I", uc.mem_read(symbols["kiln_bench_input_bytes"], 4))[0]
    seed = 14
    buf = bytearray(n_in)
    for i in range(n_in):
        seed = (seed * 1664525 + 1013904223) & 0xFFFFFFFF
        buf[i] = seed >> 24
    in_addr, out_addr, ptrs = 0x20300000, 0x20340000, 0x20380000
    uc.mem_write(in_addr, bytes(buf))
    uc.mem_write(ptrs, struct.pack("<II", in_addr, out_addr))
    count = [0]

    def hook(_uc, _address, _size, _data):
        count[0] += 1

    uc.hook_add(UC_HOOK_CODE, hook)
    run = symbols["kiln_run"] | 1
    counts = []
    for _ in range(2):
        count[0] = 0
        uc.reg_write(a.UC_ARM_REG_SP, RAM_TOP - 0x100)
        uc.reg_write(a.UC_ARM_REG_R0, ptrs)
        uc.reg_write(a.UC_ARM_REG_R1, ptrs + 4)
        uc.reg_write(a.UC_ARM_REG_LR, STOP | 1)
        uc.emu_start(run, STOP)
        counts.append(count[0])
    print("instructions", counts[1])


if __name__ == "__main__":
    main()
