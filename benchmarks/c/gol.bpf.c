// SPDX-License-Identifier: GPL-2.0
/* The Game of Life of examples/gol.py, written in C for clang: same maps, same globals,
 * same state layout and the same algorithm (timer callback computing bands of rows; a
 * ghost column and a sliding window of column sums, three loads per cell), so that
 * benchmarks/gol.py can run both objects the same way and compare their speed.
 *
 *   clang-19 -O2 -g -target bpf -I/usr/include/$(uname -m)-linux-gnu -c gol.bpf.c -o gol.bpf.o
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define MAXW 4096
#define MAXH 4096
#define MASK (MAXW - 1)
#define MAXBAND (1 << 20)

typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;


struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 2 * MAXH);
	__type(key, u32);
	__type(value, u8[MAXW]);
} board SEC(".maps");

struct State {
	struct bpf_timer timer;
	u64 generation;
	u32 row;
	u32 band;
	u64 limit;
	u64 period_ns;
	u32 stopped;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct State);
} state SEC(".maps");

u32 width = 0;
u32 height = 0;

/* 1 when v == 0, without a jump: clang turns `n == 3` into branches, and a branchy loop body
 * hits the verifier's 8192-jump limit ("The sequence of 8193 jumps is too complex").  The
 * empty asm keeps clang from folding it back into a compare (and then into jumps).  ebpfpy emits the same
 * sequence for `u8(n == 3)`. */
static __always_inline u64 is_zero(u64 v)
{
	u64 neg = -v;

	asm volatile("" : "+r"(neg));	/* hide that neg == -v */
	u64 nonzero = (v | neg) >> 63;
	asm volatile("" : "+r"(nonzero));	/* and that this is a sign test */
	return nonzero ^ 1;
}

static __always_inline int step_row(u32 y, u32 cur)
{
	u32 w = width < MAXW ? width : MAXW;
	u32 h = height < MAXH ? height : MAXH;
	u32 up = (y > 0 ? y - 1 : h - 1) & MASK;
	u32 down = (y + 1 < h ? y + 1 : 0) & MASK;
	u32 src = cur * MAXH, k;
	u8 *a, *b, *c, *d;

	k = src + up;   a = bpf_map_lookup_elem(&board, &k);
	k = src + y;    b = bpf_map_lookup_elem(&board, &k);
	k = src + down; c = bpf_map_lookup_elem(&board, &k);
	k = (cur ^ 1) * MAXH + y; d = bpf_map_lookup_elem(&board, &k);
	if (!a || !b || !c || !d)
		return 1;
	if (w < MAXW) {		/* ghost column: column w repeats column 0 */
		a[w & MASK] = a[0];
		b[w & MASK] = b[0];
		c[w & MASK] = c[0];
	}
	u32 xl = (w - 1) & MASK;
	u8 lcol = a[xl] + b[xl] + c[xl];
	u8 mcol = a[0] + b[0] + c[0];
	u8 me = b[0];
	for (u32 x = 0; x < w; x++) {
		u32 xr = (x + 1) & MASK;
		u8 rme = b[xr];
		u8 rcol = a[xr] + rme + c[xr];
		u8 n = lcol + mcol + rcol - me;
		d[x & MASK] = is_zero(n - 3) | (is_zero(n - 2) & me);
		lcol = mcol;
		mcol = rcol;
		me = rme;
	}
	return 0;
}

struct band_ctx { struct State *s; u32 h; };

static int band_row(u32 i, struct band_ctx *ctx)
{
	struct State *s = ctx->s;

	step_row(s->row & MASK, (u32)(s->generation & 1));
	s->row += 1;
	if (s->row >= ctx->h) {
		s->row = 0;
		s->generation += 1;
		if (s->generation == s->limit || s->period_ns != 0)
			return 1;
	}
	return 0;
}

static int tick(void *m, u32 *key, struct State *s)
{
	u32 h = height < MAXH ? height : MAXH;
	struct band_ctx ctx = { .s = s, .h = h };
	u32 band = s->band < MAXBAND ? s->band : MAXBAND;

	if (h == 0 || width == 0)
		return 0;
	bpf_loop(band, band_row, &ctx, 0);
	if (s->limit != 0 && s->generation >= s->limit) {
		s->stopped = 1;
		return 0;
	}
	if (s->row == 0 && s->period_ns != 0)
		bpf_timer_start(&s->timer, s->period_ns, 0);
	else
		bpf_timer_start(&s->timer, 0, 0);
	return 0;
}

SEC("syscall")
int start(void *ctx)
{
	u32 zero = 0;
	struct State *s = bpf_map_lookup_elem(&state, &zero);

	if (!s)
		return 1;
	bpf_timer_init(&s->timer, &state, 1 /* CLOCK_MONOTONIC */);
	bpf_timer_set_callback(&s->timer, tick);
	bpf_timer_start(&s->timer, 0, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
