# SPDX-License-Identifier: MIT
# hello: the smallest xdrv driver. Included by the top Makefile (sources: every .c here).
hello_VERSION := 1.0.0
hello_SECVER := 1
hello_DESC := The smallest complete xdrv driver: greets through the ABI log
