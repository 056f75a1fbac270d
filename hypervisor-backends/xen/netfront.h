/* SPDX-License-Identifier: MIT */
/*
 * The "netfront" wire kind (netfront.c): a NIC model's cable is a Xen netif frontend, on the
 * xen or loop transport (xt.h). Private to hypervisor-backends/ and its tests: the counters a
 * frontend keeps, and why it disconnected.
 */
#ifndef XDRV_NETFRONT_H
#define XDRV_NETFRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hvb_wire;

struct hvb_netfront_stats {
	uint64_t notify_sent;	       /* event-channel notifications we sent (xt_get_stats) */
	uint64_t events_taken;	       /* notifications from the backend we consumed */
	uint64_t tx_frames, tx_slots;  /* frames posted on the TX ring, and slots they took */
	uint64_t tx_pushes;	       /* TX producer updates (batches) */
	uint64_t tx_backend_errors;    /* TX responses ERROR or DROPPED */
	uint64_t tx_too_big;	       /* refused: larger than a page and no feature-sg */
	uint64_t tx_no_buffer;	       /* refused: no TX buffer came back in time */
	uint32_t tx_in_flight;	       /* TX buffers the backend has not answered yet */
	uint64_t rx_frames, rx_pushes; /* RX responses with a frame; RX producer updates */
	uint64_t rx_backend_errors;    /* RX responses ERROR or DROPPED, or empty */
	uint64_t rx_csum_blank;	       /* frames the backend flagged csum_blank */
	bool connected;		       /* false once disconnected (error below) */
	char error[256];	       /* why it disconnected: names the device and the field */
};

/* 0 with *out filled; -EINVAL if w is not a netfront wire. */
int hvb_netfront_get_stats(const struct hvb_wire *w, struct hvb_netfront_stats *out);

/* The response handling alone, for tests/fuzz/fuzz_netfront.c (input format in netfront.c):
 * 0, or -1 when the bookkeeping went wrong. */
int hvb_netfront_fuzz_responses(const uint8_t *data, size_t len);

#endif
