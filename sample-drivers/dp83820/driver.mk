# SPDX-License-Identifier: MIT
# dp83820: NatSemi DP83820 gigabit NIC driver (rings, scatter-gather, checksum offload, NAPI).
# Included by the top Makefile (sources: every .c here).
dp83820_VERSION := 1.0.0
dp83820_SECVER := 1
dp83820_DESC := DP83820 gigabit NIC: scatter-gather, checksum offload, NAPI polling
