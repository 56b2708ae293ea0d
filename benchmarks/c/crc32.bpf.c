// CRC-32 (IEEE, bitwise, branch-free) over the first 64 bytes of an XDP packet; returns it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define N 64

struct buf { __u8 b[N]; };

SEC("xdp")
int crc32(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct buf *p = data;
	if ((void *)(p + 1) > data_end)
		return XDP_ABORTED;
	/* On kernel 6.18 this object does not load: the verifier walks this 64-iteration loop
	 * to 1M processed instructions (fully unrolled, 2.8k straight-line instructions, too);
	 * ebpfpy's loop of the same shape converges at ~295k.  Kept as written, reported. */
	__u32 crc = 0xFFFFFFFF;
	for (int i = 0; i < N; i++) {
		crc ^= p->b[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320 & (__u32)((__s32)(crc << 31) >> 31));
	}
	return ~crc;
}

char LICENSE[] SEC("license") = "GPL";
