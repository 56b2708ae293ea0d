// C equivalent of examples/gol_step.py: one Game of Life generation on a 64x64 torus held in
// a two-slot Array (double buffer).  Written as ebpfpy compiles the Python: the outer loop
// over rows is a bpf_loop callback (verified once), and `n == 3` is computed without a jump.
// Plain nested loops do not load: clang turns the compares into branches and the verifier
// stops at "The sequence of 8193 jumps is too complex".
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define W 64
#define H 64

struct board { __u8 cells[H][W]; };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct board);
	__uint(max_entries, 2);
} boards SEC(".maps");

__u32 generation = 0;

struct rows { struct board *src, *dst; };

/* 1 when v == 0, without a jump (the empty asm keeps clang from turning it back into one). */
static __always_inline __u64 is_zero(__u64 v)
{
	__u64 neg = -v;
	asm volatile("" : "+r"(neg));
	__u64 nonzero = (v | neg) >> 63;
	asm volatile("" : "+r"(nonzero));
	return nonzero ^ 1;
}

static long row(__u32 y, void *arg)
{
	struct rows *r = arg;
	struct board *src = r->src, *dst = r->dst;
	if (y >= H)
		return 1;
	__u32 up = (y + H - 1) & (H - 1), down = (y + 1) & (H - 1);
	for (int x = 0; x < W; x++) {
		int left = (x + W - 1) & (W - 1), right = (x + 1) & (W - 1);
		__u8 n = src->cells[up][left] + src->cells[up][x] + src->cells[up][right]
		       + src->cells[y][left] + src->cells[y][right]
		       + src->cells[down][left] + src->cells[down][x] + src->cells[down][right];
		dst->cells[y][x] = (__u8)is_zero(n ^ 3) | ((__u8)is_zero(n ^ 2) & src->cells[y][x]);
	}
	return 0;
}

SEC("syscall")
int step(void *ctx)
{
	__u32 cur = generation & 1, nxt = cur ^ 1;
	struct rows r;
	r.src = bpf_map_lookup_elem(&boards, &cur);
	r.dst = bpf_map_lookup_elem(&boards, &nxt);
	if (!r.src || !r.dst)
		return 1;
	bpf_loop(H, row, &r, 0);
	generation++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
