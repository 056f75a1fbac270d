// SPDX-License-Identifier: MIT
/*
 * The eBPF/XDP peer of extensions/filter (issue 16, docs/BENCHMARKS.md "Packet extensions"):
 * the same rule, written for Linux's XDP: drop an IPv4 frame whose source address is in the
 * `deny` set, pass everything else, and count. Built with `clang-19 -target bpf` (bench.mk),
 * loaded and attached to a veth by xdrv-xdppeer. Bench only: never part of xdrv.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);   /* IPv4 source address, network order */
	__type(value, __u64); /* frames dropped by this entry */
} deny SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64); /* [0] frames seen, [1] frames dropped */
} stats SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += 1;
}

SEC("xdp")
int xdp_filter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	__u64 *hits;
	__u32 src;

	count(0);
	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end)
		return XDP_PASS;
	src = ip->saddr;
	hits = bpf_map_lookup_elem(&deny, &src);
	if (!hits)
		return XDP_PASS;
	__sync_fetch_and_add(hits, 1);
	count(1);
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
