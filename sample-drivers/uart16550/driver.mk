# SPDX-License-Identifier: MIT
# uart16550: a 16550A UART driver, interrupt-driven. Included by the top Makefile.
uart16550_VERSION := 1.0.0
uart16550_SECVER := 1
uart16550_DESC := 16550A UART: interrupt-driven transmit ring, receive echo
