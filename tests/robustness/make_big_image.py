#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Writes the assembly of a large vmlinux-like image for the SIGKILL test.

    make_big_image.py N OUT.S

N functions, each with 13 c.nop (26 bytes, like -fpatchable-function-entry=13
with RVC) then a small body, at every alignment mod 8; __mcount_loc lists
every entry between __start_mcount_loc and __stop_mcount_loc, and
ftrace_caller is defined. Assemble with riscv64-linux-gnu-as -march=rv64gc
and link with ld -Ttext=0xffffffff80000000.
"""
import sys

n, out = int(sys.argv[1]), sys.argv[2]
with open(out, "w") as f:
    w = f.write
    w("\t.option rvc\n\t.text\n\t.globl ftrace_caller\n\t.type ftrace_caller,@function\n")
    w("ftrace_caller:\n\tc.jr ra\n\t.size ftrace_caller, .-ftrace_caller\n")
    for i in range(n):
        w("\t.globl f%d\n\t.type f%d,@function\n" % (i, i))
        if i % 4 == 3:
            w("\tc.nop\n")  # vary the alignment of the next entries
        w("f%d:\n\t.rept 13\n\tc.nop\n\t.endr\n\taddi a0, a0, %d\n\tc.jr ra\n" % (i, i % 2000))
        w("\t.size f%d, .-f%d\n" % (i, i))
    w('\t.section __mcount_loc,"a"\n\t.balign 8\n\t.globl __start_mcount_loc\n__start_mcount_loc:\n')
    for i in range(n):
        w("\t.dword f%d\n" % i)
    w("\t.globl __stop_mcount_loc\n__stop_mcount_loc:\n")
