"""basic01: the simplest XDP program (XDP_PASS), loaded onto a device by a loader that exits.

Port of xdp-tutorial's basic01-xdp-pass/xdp_pass_kern.c and xdp_pass_user.c
(github.com/xdp-project/xdp-tutorial): load ``xdp_prog_simple``, attach it to ``--dev``,
print its name, id and the device, and exit with the program left attached;
``--unload ID`` / ``--unload-all`` detach it.  The program stays attached through a link
pinned in bpffs (xdp_common.py says why).  Left out: the attach-mode flags -S/-N/-A (a BPF
link takes the driver's mode).

    sudo python examples/ports/basic01_xdp_pass.py --dev veth0
    sudo python examples/ports/basic01_xdp_pass.py --dev veth0 --unload-all
"""
from ebpfpy import XDP_PASS, XdpContext, bpf_program


@bpf_program("xdp")
def xdp_prog_simple(ctx: XdpContext) -> int:
    return XDP_PASS


def main(argv=None) -> int:
    import ebpfpy
    import xdp_common as common

    progname = "xdp_prog_simple"
    args = common.parser("Simple XDP prog doing XDP_PASS").parse_args(argv)
    idx = common.ifindex(args.dev)
    done = common.unload_or_none(args, progname)
    if done is not None:
        return done
    with ebpfpy.load(__file__) as obj:
        prog = obj.programs[progname]
        common.attach_pinned(prog, args.dev)
        print(f"Success: Loading XDP prog name:{prog.name}(id:{prog.id}) "
              f"on device:{args.dev}(ifindex:{idx})")
    return common.EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
