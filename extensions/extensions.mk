# SPDX-License-Identifier: MIT
# The sample packet extensions (issue 16), included by the top Makefile: each folder
# extensions/NAME/ holds NAME.c (and may hold more .c files); the package's version is the
# descriptor's. ext_NAME_SECVER and ext_NAME_DESC go into the manifest.
ext_empty_SECVER := 1
ext_empty_DESC := passes every frame: the cost of an attach point by itself
ext_prio_SECVER := 1
ext_prio_DESC := two priority classes by TCP/UDP port (port parameter, ports table)
ext_filter_SECVER := 1
ext_filter_DESC := drops frames by IPv4 address or protocol/port (deny table), counts hits
ext_flowcount_SECVER := 1
ext_flowcount_DESC := packets and bytes per IPv4 flow (5-tuple hash)
