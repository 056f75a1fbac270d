# SPDX-License-Identifier: MIT
# hello: the smallest xdrv driver. Included by the top Makefile (sources: every .c here).
hello_VERSION := 1.0.0
hello_SECVER := 1
