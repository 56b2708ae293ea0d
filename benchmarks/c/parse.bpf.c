// Nested header parser: Ethernet, up to two VLAN tags, IPv4 (with options), UDP.
// Drops UDP to port 53, passes everything else; a cut-off header passes.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct vlan_hdr { __be16 tci; __be16 proto; };

SEC("xdp")
int parse(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	__u32 off = sizeof(*eth);
	__u16 proto = bpf_ntohs(eth->h_proto);
	for (int i = 0; i < 2; i++) {
		if (proto == ETH_P_8021Q || proto == ETH_P_8021AD) {
			struct vlan_hdr *vlan = data + off;
			if ((void *)(vlan + 1) > data_end)
				return XDP_PASS;
			proto = bpf_ntohs(vlan->proto);
			off += sizeof(*vlan);
		}
	}
	if (proto != ETH_P_IP)
		return XDP_PASS;
	struct iphdr *ip = data + off;
	if ((void *)(ip + 1) > data_end || ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	__u32 ihl = ip->ihl;
	if (ihl < 5)
		return XDP_PASS;
	struct udphdr *udp = data + off + ihl * 4;
	if ((void *)(udp + 1) > data_end)
		return XDP_PASS;
	if (bpf_ntohs(udp->dest) == 53)
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
