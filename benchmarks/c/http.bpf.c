// examples/http_stats.py in C: the same HTTP/1.x parser, maps and limits, for benchmarks/http.py.
// A socket filter reading the packet with bpf_skb_load_bytes (from the IP header on), the
// segment's first SCAN bytes copied to a per-CPU scratch buffer, the target and header bytes
// walked in bpf_loop callbacks (as bounded loops the verifier gives up: 1M instructions).
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define PATH_LEN 64
#define HOST_LEN 32
#define SCAN 512
#define MIN_PAYLOAD 16
#define HTTP_1 0x2E312F50545448ULL  /* "HTTP/1." little-endian */

enum { R_COUNTED, R_LONG, R_INCOMPLETE, R_MALFORMED };
enum { H_NAME, H_BLANKS, H_VALUE, H_DONE };
enum { S_SEGMENTS, S_REQUESTS, S_LONG_LINES, S_INCOMPLETE, S_MALFORMED, S_RESPONSES,
       S_UNMATCHED, S_RETRANSMITS, S_OTHER, S_SHORT, N_STATS };
enum { M_GET = 1, M_HEAD, M_POST, M_PUT, M_DELETE, M_CONNECT, M_OPTIONS, M_TRACE, M_PATCH };

struct iphdr_ { __u8 ver_ihl, tos; __u16 tot_len, id, frag_off; __u8 ttl, protocol;
                __u16 check; __u32 saddr, daddr; };
struct tcphdr_ { __u16 source, dest; __u32 seq, ack_seq; __u8 doff, flags;
                 __u16 window, check, urg_ptr; };
struct head { __u64 lo, hi; };
struct req_key { __u8 method, cut, path[PATH_LEN], host[HOST_LEN]; };
struct status_key { __u16 status; __u8 cut, path[PATH_LEN]; };
struct flow { __u32 client, server; __u16 cport, sport; };
struct pending_req { __u32 seq; __u8 cut, path[PATH_LEN]; };
struct scratch { __u8 b[SCAN]; struct req_key req; struct status_key st; struct pending_req pend; };
struct parse { __u32 base, t, vpos, bad, line, state, prev, last4, h, kept; };

__u32 skip_retransmits = 1;

struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 4096);
         __type(key, struct req_key); __type(value, __u64); } requests SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 4096);
         __type(key, struct status_key); __type(value, __u64); } statuses SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, 16384);
         __type(key, struct flow); __type(value, struct pending_req); } pending SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, N_STATS);
         __type(key, __u32); __type(value, __u64); } stats SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 1);
         __type(key, __u32); __type(value, struct scratch); } scratch SEC(".maps");

static __always_inline void bump(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &slot);
	if (v)
		__sync_fetch_and_add(v, 1);
}

static __always_inline void add_one(void *map, void *key)
{
	__u64 one = 1, *v = bpf_map_lookup_elem(map, key);
	if (v)
		__sync_fetch_and_add(v, 1);
	else if (bpf_map_update_elem(map, key, &one, BPF_NOEXIST))
		if ((v = bpf_map_lookup_elem(map, key)))
			__sync_fetch_and_add(v, 1);
}

static __noinline __u32 method_of(__u64 w)
{
	if ((w & 0xFFFFFFFF) == 0x20544547) return M_GET << 8 | 4;
	if ((w & 0xFFFFFFFF) == 0x20545550) return M_PUT << 8 | 4;
	if ((w & 0xFFFFFFFFFF) == 0x2054534F50) return M_POST << 8 | 5;
	if ((w & 0xFFFFFFFFFF) == 0x2044414548) return M_HEAD << 8 | 5;
	if ((w & 0xFFFFFFFFFFFF) == 0x204543415254) return M_TRACE << 8 | 6;
	if ((w & 0xFFFFFFFFFFFF) == 0x204843544150) return M_PATCH << 8 | 6;
	if ((w & 0xFFFFFFFFFFFFFF) == 0x204554454C4544) return M_DELETE << 8 | 7;
	if (w == 0x205443454E4E4F43) return M_CONNECT << 8 | 8;
	if (w == 0x20534E4F4954504F) return M_OPTIONS << 8 | 8;
	return 0;
}

static __always_inline int is_digit(__u64 c) { return c >= '0' && c <= '9'; }
static __always_inline __u8 lower(__u8 c) { return c >= 'A' && c <= 'Z' ? c | 0x20 : c; }

static __noinline __u32 status_of(struct head *h)
{
	if ((h->lo & 0xFFFFFFFFFFFFFF) != HTTP_1 || !is_digit(h->lo >> 56))
		return 0;
	__u64 end = h->hi >> 32 & 0xFF;
	if ((h->hi & 0xFF) != ' ' || !(end == ' ' || end == '\r'))
		return 0;
	__u64 d1 = h->hi >> 8 & 0xFF, d2 = h->hi >> 16 & 0xFF, d3 = h->hi >> 24 & 0xFF;
	if (!(is_digit(d1) && is_digit(d2) && is_digit(d3)))
		return 0;
	return (d1 - '0') * 100 + (d2 - '0') * 10 + (d3 - '0');
}

static long target_byte(__u32 i, struct parse *ps)
{
	__u32 zero = 0;
	struct scratch *s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return 1;
	__u32 k = ps->base + i;
	if (k >= SCAN)
		return 1;
	__u8 c = s->b[k];
	if (c == ' ') {
		ps->vpos = k + 1;
		return 1;
	}
	if (c < 0x21 || c == 0x7F) {
		ps->bad = 1;
		return 1;
	}
	__u32 t = ps->t;
	if (t < PATH_LEN)
		s->req.path[t] = c;
	ps->t = t + 1;
	return 0;
}

static long header_byte(__u32 i, struct parse *ps)
{
	__u32 zero = 0;
	struct scratch *s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return 1;
	__u32 k = ps->base + i;
	if (k >= SCAN)
		return 1;
	__u8 c = s->b[k];
	__u32 line = ps->line;
	if (c == '\n') {
		ps->last4 = 0;
		if (ps->state == H_BLANKS || ps->state == H_VALUE)
			ps->state = H_DONE;
		if (k == line || (k == line + 1 && ps->prev == '\r'))
			return 1;
		ps->line = k + 1;
		ps->prev = c;
		return 0;
	}
	ps->prev = c;
	__u32 state = ps->state;
	if (state == H_NAME) {
		if (k == line + 4 && c == ':' && ps->last4 == 0x686F7374)
			ps->state = H_BLANKS;
		ps->last4 = ps->last4 << 8 | lower(c);
		return 0;
	}
	if (state == H_DONE || c == '\r')
		return 0;
	if (state == H_BLANKS && (c == ' ' || c == '\t'))
		return 0;
	ps->state = H_VALUE;
	__u32 h = ps->h;
	if (h < HOST_LEN) {
		s->req.host[h] = c;
		ps->h = h + 1;
		if (c != ' ' && c != '\t')
			ps->kept = h + 1;
	}
	return 0;
}

static __noinline __u32 parse_request(struct scratch *s, __u32 n, __u32 mlen)
{
	__u32 lim = n < SCAN ? n : SCAN;
	__u32 cut_short = n > SCAN ? R_LONG : R_INCOMPLETE;
	struct parse ps = { .base = mlen };
	bpf_loop(lim - mlen, target_byte, &ps, 0);
	__u32 t = ps.t;
	if (t > PATH_LEN)
		s->req.cut = 1;
	if (ps.bad || (t == 0 && ps.vpos))
		return R_MALFORMED;
	__u32 vpos = ps.vpos;
	if (vpos == 0)
		return cut_short;
	for (__u32 k = 0; k < 7; k++) {
		__u32 j = vpos + k;
		if (j >= lim)
			return cut_short;
		if (j < SCAN && s->b[j] != (__u8)(HTTP_1 >> (8 * k)))
			return R_MALFORMED;
	}
	__u32 p = vpos + 7;
	if (p >= lim)
		return cut_short;
	if (p >= SCAN || !is_digit(s->b[p]))
		return R_MALFORMED;
	p++;
	if (p < lim && p < SCAN && s->b[p] == '\r')
		p++;
	if (p >= lim)
		return cut_short;
	if (p >= SCAN || s->b[p] != '\n')
		return R_MALFORMED;
	p++;
	if (p < lim) {
		ps.base = p;
		ps.line = p;
		bpf_loop(lim - p, header_byte, &ps, 0);
	}
	__u32 kept = ps.state == H_DONE ? ps.kept : 0;
	for (__u32 j = 0; j < HOST_LEN; j++)
		if (j >= kept)
			s->req.host[j] = 0;
	return R_COUNTED;
}

SEC("socket")
int http_stats(struct __sk_buff *skb)
{
	struct iphdr_ ip;
	struct tcphdr_ tcp;
	struct head head;
	__u32 zero = 0;

	if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)) || ip.ver_ihl >> 4 != 4 ||
	    ip.protocol != IPPROTO_TCP)
		return 0;
	if (bpf_ntohs(ip.frag_off) & 0x3FFF)
		return 0;
	__u32 ihl = (ip.ver_ihl & 0x0F) * 4;
	if (ihl < 20 || bpf_skb_load_bytes(skb, ihl, &tcp, sizeof(tcp)))
		return 0;
	__u32 start = ihl + (tcp.doff >> 4) * 4;
	__u32 total = bpf_ntohs(ip.tot_len);
	if (total <= start || (tcp.doff >> 4) < 5)
		return 0;
	__u32 len = skb->len;
	__u32 n = len > start ? (total < len ? total : len) - start : 0;
	if (n == 0)
		return 0;
	bump(S_SEGMENTS);
	if (n < MIN_PAYLOAD) {
		bump(S_SHORT);
		return 0;
	}
	if (bpf_skb_load_bytes(skb, start, &head, sizeof(head)))
		return 0;
	struct scratch *s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return 0;

	__u32 status = status_of(&head);
	if (status) {
		bump(S_RESPONSES);
		s->st.status = status;
		s->st.cut = 0;
		struct flow flow = { ip.daddr, ip.saddr, tcp.dest, tcp.source };
		struct pending_req *p = bpf_map_lookup_elem(&pending, &flow);
		if (!p) {
			bump(S_UNMATCHED);
			for (int j = 0; j < PATH_LEN; j++)
				s->st.path[j] = 0;
		} else {
			s->st.cut = p->cut;
			for (int j = 0; j < PATH_LEN; j++)
				s->st.path[j] = p->path[j];
		}
		add_one(&statuses, &s->st);
		if (p && status >= 200)
			bpf_map_delete_elem(&pending, &flow);
		return 0;
	}

	__u32 m = method_of(head.lo);
	if (!m) {
		bump(S_OTHER);
		return 0;
	}
	struct flow flow = { ip.saddr, ip.daddr, tcp.source, tcp.dest };
	struct pending_req *p = bpf_map_lookup_elem(&pending, &flow);
	if (p && p->seq == tcp.seq && skip_retransmits) {
		bump(S_RETRANSMITS);
		return 0;
	}

	__u32 want = n < SCAN ? n : SCAN, got = 0;
	for (int k = 0; k < SCAN / 64; k++) {
		if (got + 64 > want)
			break;
		if (got > SCAN - 64 || bpf_skb_load_bytes(skb, start + got, &s->b[got], 64))
			return 0;
		got += 64;
	}
	for (int k = 0; k < 8; k++) {
		if (got >= want)
			break;
		__u32 at = got + 8 <= want ? got : want - 8;
		if (at > SCAN - 8 || bpf_skb_load_bytes(skb, start + at, &s->b[at], 8))
			return 0;
		got = at + 8;
	}

	s->req.method = m >> 8;
	s->req.cut = 0;
	for (int j = 0; j < PATH_LEN; j++)
		s->req.path[j] = 0;
	for (int j = 0; j < HOST_LEN; j++)
		s->req.host[j] = 0;
	__u32 r = parse_request(s, n, m & 0xFF);
	if (r == R_INCOMPLETE) {
		bump(S_INCOMPLETE);
		return 0;
	}
	if (r == R_MALFORMED) {
		bump(S_MALFORMED);
		return 0;
	}
	if (r == R_LONG)
		bump(S_LONG_LINES);
	bump(S_REQUESTS);
	add_one(&requests, &s->req);
	s->pend.seq = tcp.seq;
	s->pend.cut = s->req.cut;
	for (int j = 0; j < PATH_LEN; j++)
		s->pend.path[j] = s->req.path[j];
	bpf_map_update_elem(&pending, &flow, &s->pend, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
