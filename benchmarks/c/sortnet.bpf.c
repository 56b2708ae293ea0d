// Sorting network: Batcher's odd-even merge sort of 16 u32 values (63 compare-exchanges) in a
// struct on the stack, copied from the packet; returns the weighted sum (sum of (i+1)*v[i]).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define N 16

struct vals { __u32 v[N]; };

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) < (b) ? (b) : (a))
#define CSWAP(i, j) do { __u32 a = s.v[i], b = s.v[j]; s.v[i] = MIN(a, b); s.v[j] = MAX(a, b); } while (0)

SEC("xdp")
int sortnet(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct vals *p = data;
	if ((void *)(p + 1) > data_end)
		return XDP_ABORTED;
	struct vals s = {};
	for (int i = 0; i < N; i++)
		s.v[i] = p->v[i];
	CSWAP(0, 1);
	CSWAP(2, 3);
	CSWAP(0, 2);
	CSWAP(1, 3);
	CSWAP(1, 2);
	CSWAP(4, 5);
	CSWAP(6, 7);
	CSWAP(4, 6);
	CSWAP(5, 7);
	CSWAP(5, 6);
	CSWAP(0, 4);
	CSWAP(2, 6);
	CSWAP(2, 4);
	CSWAP(1, 5);
	CSWAP(3, 7);
	CSWAP(3, 5);
	CSWAP(1, 2);
	CSWAP(3, 4);
	CSWAP(5, 6);
	CSWAP(8, 9);
	CSWAP(10, 11);
	CSWAP(8, 10);
	CSWAP(9, 11);
	CSWAP(9, 10);
	CSWAP(12, 13);
	CSWAP(14, 15);
	CSWAP(12, 14);
	CSWAP(13, 15);
	CSWAP(13, 14);
	CSWAP(8, 12);
	CSWAP(10, 14);
	CSWAP(10, 12);
	CSWAP(9, 13);
	CSWAP(11, 15);
	CSWAP(11, 13);
	CSWAP(9, 10);
	CSWAP(11, 12);
	CSWAP(13, 14);
	CSWAP(0, 8);
	CSWAP(4, 12);
	CSWAP(4, 8);
	CSWAP(2, 10);
	CSWAP(6, 14);
	CSWAP(6, 10);
	CSWAP(2, 4);
	CSWAP(6, 8);
	CSWAP(10, 12);
	CSWAP(1, 9);
	CSWAP(5, 13);
	CSWAP(5, 9);
	CSWAP(3, 11);
	CSWAP(7, 15);
	CSWAP(7, 11);
	CSWAP(3, 5);
	CSWAP(7, 9);
	CSWAP(11, 13);
	CSWAP(1, 2);
	CSWAP(3, 4);
	CSWAP(5, 6);
	CSWAP(7, 8);
	CSWAP(9, 10);
	CSWAP(11, 12);
	CSWAP(13, 14);
	__u32 h = 0;
	for (int i = 0; i < N; i++)
		h += (__u32)(i + 1) * s.v[i];
	return h;
}

char LICENSE[] SEC("license") = "GPL";
