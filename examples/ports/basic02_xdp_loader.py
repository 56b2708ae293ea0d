"""basic02: several XDP programs in one object, one picked by name to attach.

Port of xdp-tutorial's basic02-prog-by-name/xdp_prog_kern.c and xdp_loader.c
(github.com/xdp-project/xdp-tutorial): ``xdp_pass_func`` (XDP_PASS) and ``xdp_drop_func``
(XDP_DROP) in one module; ``--progname`` picks the one attached to ``--dev`` (default
``xdp_pass_func``), which stays attached after the loader exits (a link pinned in bpffs,
xdp_common.py); ``--unload``/``--unload-all`` detach it.  Without ``-q`` it lists the
object's programs and prints what it attached, as the original does when verbose.
Left out: the attach-mode flags -S/-N/-A (a BPF link takes the driver's mode) and
``--filename`` (the programs are this module's).

    sudo python examples/ports/basic02_xdp_loader.py --dev veth0 --progname xdp_drop_func
"""
from ebpfpy import XDP_DROP, XDP_PASS, XdpContext, bpf_program


@bpf_program("xdp")
def xdp_pass_func(ctx: XdpContext) -> int:
    return XDP_PASS


@bpf_program("xdp")
def xdp_drop_func(ctx: XdpContext) -> int:
    return XDP_DROP


def main(argv=None) -> int:
    import sys

    import ebpfpy
    import xdp_common as common

    args = common.parser("XDP loader\n - Allows selecting BPF program --progname name to "
                         "XDP-attach to --dev", progname="xdp_pass_func", quiet=True
                         ).parse_args(argv)
    idx = common.ifindex(args.dev)
    done = common.unload_or_none(args, args.progname)
    if done is not None:
        return done
    with ebpfpy.load(__file__) as obj:
        if not args.quiet:
            print(f"BPF object ({__file__}) listing available XDP functions")
            for p in obj.programs:
                print(f" {p}")
        if args.progname not in list(obj.programs):
            print(f"ERR: loading program {args.progname}: No such file or directory",
                  file=sys.stderr)
            return common.EXIT_FAIL_BPF
        prog = obj.programs[args.progname]
        common.attach_pinned(prog, args.dev)
        if not args.quiet:
            print(f"Success: Loaded BPF-object({__file__}) and used program({args.progname})")
            print(f" - XDP prog id:{prog.id} attached on device:{args.dev}(ifindex:{idx})")
    return common.EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
