"""Run the fixture's sageattn() eagerly and under torch.compile on the GPU and
print one line: "eager=<v> compile=<v> bound=<type>", where <v> is "ok" when
the output is q * 2 (the op ran) and "uninitialized" when it is not (the fake
ran and nothing wrote the output)."""
import os

import torch

import sageattention

NAME = "qk_int8_sv_f8_accum_f32_fuse_v_scale_attn_inst_buf"


def verdict(run, q, expected):
    try:
        o = run(q)
        torch.cuda.synchronize()
    except Exception as error:  # reported, so run.sh prints FAIL with the reason
        return "error(%s)" % type(error).__name__
    return "ok" if torch.equal(o, expected) else "uninitialized"


def main():
    torch.manual_seed(0)
    q = torch.randn(64, 4096, device="cuda")
    expected = q * 2
    eager = verdict(sageattention.sageattn, q, expected)
    backend = os.environ.get("REPAIR_COMPILE_BACKEND", "inductor")
    compiled = verdict(torch.compile(sageattention.sageattn, backend=backend), q, expected)
    bound = type(getattr(sageattention.sm90_compile, NAME)).__name__
    print("eager=%s compile=%s bound=%s" % (eager, compiled, bound))


main()
