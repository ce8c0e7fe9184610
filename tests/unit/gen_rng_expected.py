#!/usr/bin/python3
"""gen_rng_expected.py - regenerate tests/unit/rng_expected.h from PyTorch 1.13 (CPU).

Run with the interpreter that has torch:  /usr/bin/python3 tests/unit/gen_rng_expected.py
Each case seeds torch, runs a list of ops, and records every output as raw bits
(float32 -> u32, float64 -> u64, int64 -> u64). rng_test.c replays the same ops
through runtime/random.c and compares bit for bit. Cases marked cap="default"
are computed in a child process with ATEN_CPU_CAPABILITY=default.
"""
import json
import math
import os
import struct
import subprocess
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "rng_expected.h")


# ---------------------------------------------------------------- op helpers
# An op is (kind, params, torch_fn). torch_fn() returns the tensor whose bits
# are expected; params are what the C side needs to replay it.

def bits(t):
    t = t.detach().contiguous().reshape(-1)
    if t.dtype == torch.float32:
        return [struct.unpack("<I", struct.pack("<f", v))[0] for v in t.tolist()]
    if t.dtype == torch.float64:
        return [struct.unpack("<Q", struct.pack("<d", v))[0] for v in t.tolist()]
    return [v & 0xFFFFFFFFFFFFFFFF for v in t.long().tolist()]


def f32_list(xs):
    """Round Python floats to float32 (the C side receives them as doubles)."""
    return torch.tensor(xs, dtype=torch.float32).double().tolist()


def uniform(dt, n, a, b):
    kind = "UNIFORM_F32" if dt == torch.float32 else "UNIFORM_F64"
    return (kind, dict(n=n, a=a, b=b), lambda: torch.empty(n, dtype=dt).uniform_(a, b))


def rand(n, dt=torch.float32):
    kind = "UNIFORM_F32" if dt == torch.float32 else "UNIFORM_F64"
    return (kind, dict(n=n, a=0.0, b=1.0), lambda: torch.rand(n, dtype=dt))


def randn(shape, dt=torch.float32, mean=0.0, std=1.0):
    n = math.prod(shape)
    kind = "NORMAL_F32" if dt == torch.float32 else "NORMAL_F64"
    return (kind, dict(n=n, a=mean, b=std), lambda: torch.empty(shape, dtype=dt).normal_(mean, std))


def normal_transposed(rows, cols, dt=torch.float32, mean=0.0, std=1.0):
    """normal_ on a non-contiguous (transposed) view: serial path in memory order."""
    kind = "NORMAL_SERIAL_F32" if dt == torch.float32 else "NORMAL_SERIAL_F64"

    def run():
        base = torch.empty(rows, cols, dtype=dt)
        base.t().normal_(mean, std)
        return base  # memory order
    return (kind, dict(n=rows * cols, a=mean, b=std), run)


def randint(n, lo, hi, dt=torch.int64):
    return ("RANDINT", dict(n=n, i0=lo, i1=hi), lambda: torch.randint(lo, hi, (n,), dtype=dt).long())


def randperm(n):
    return ("RANDPERM", dict(n=n), lambda: torch.randperm(n))


def bernoulli_scalar(n, p, dt=torch.float32):
    kind = "BERN_SCALAR_F32" if dt == torch.float32 else "BERN_SCALAR_F64"
    return (kind, dict(n=n, a=p), lambda: torch.empty(n, dtype=dt).bernoulli_(p))


def bernoulli_tensor(ps, dt=torch.float32):
    kind = "BERN_F32" if dt == torch.float32 else "BERN_F64"
    vals = f32_list(ps) if dt == torch.float32 else list(ps)
    return (kind, dict(n=len(vals), inp=vals), lambda: torch.bernoulli(torch.tensor(vals, dtype=dt)))


def dropout(n, p, dt=torch.float32):
    kind = "DROPOUT_F32" if dt == torch.float32 else "DROPOUT_F64"
    # F.dropout(ones) == 1 * noise, so the noise itself is observable.
    return (kind, dict(n=n, a=p), lambda: F.dropout(torch.ones(n, dtype=dt), p))


def exponential(n, lam):
    return ("EXPONENTIAL_F32", dict(n=n, a=lam), lambda: torch.empty(n).exponential_(lam))


def geometric(n, p):
    return ("GEOMETRIC_F64", dict(n=n, a=p), lambda: torch.empty(n, dtype=torch.float64).geometric_(p))


def poisson(rates, dt=torch.float32):
    kind = "POISSON_F32" if dt == torch.float32 else "POISSON_F64"
    vals = f32_list(rates) if dt == torch.float32 else list(rates)
    return (kind, dict(n=len(vals), inp=vals), lambda: torch.poisson(torch.tensor(vals, dtype=dt)))


def multinomial(weights, k, replacement, dt=torch.float32):
    rows = len(weights) if isinstance(weights[0], list) else 1
    flat = [w for r in weights for w in r] if rows > 1 or isinstance(weights[0], list) else list(weights)
    cols = len(flat) // rows
    kind = "MULTINOMIAL_F32" if dt == torch.float32 else "MULTINOMIAL_F64"
    vals = f32_list(flat) if dt == torch.float32 else flat
    w = torch.tensor(vals, dtype=dt)
    if isinstance(weights[0], list):
        w = w.reshape(rows, cols)
    return (kind, dict(n=rows * k, inp=vals, i0=rows, i1=cols, i2=k, i3=int(replacement)),
            lambda: torch.multinomial(w, k, replacement=replacement))


def linear(n_in, n_out):
    """nn.Linear default init: weight then bias, each one uniform_ fill."""
    def run():
        lin = nn.Linear(n_in, n_out)
        return torch.cat([lin.weight.reshape(-1), lin.bias.reshape(-1)])
    return ("LINEAR", dict(n=n_out * n_in + n_out, i0=n_in, i1=n_out), run)


def state_hash():
    """FNV-1a 64 over torch.get_rng_state()'s 5056 bytes."""
    def run():
        h = 0xCBF29CE484222325
        for byte in torch.get_rng_state().tolist():
            h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
        return torch.tensor([h - (1 << 64) if h >= (1 << 63) else h], dtype=torch.int64)
    return ("STATE_HASH", dict(n=1), run)


# ------------------------------------------------------------------- cases
def cases():
    ps = [0.1, 0.5, 0.9, 0.3, 0.7, 0.5, 0.0, 1.0, 0.25, 0.999]
    lin20 = [i / 19 for i in range(20)]
    return [
        # uniform / rand
        ("rand_f32_seed0", 0, "avx2", [rand(5), rand(6), rand(3, torch.float64), rand(1)]),
        ("rand_f32_reseed_concat", 0, "avx2", [rand(10)]),
        ("rand_f32_big_seed1234", 1234, "avx2", [rand(4), rand(40)]),
        ("uniform_f32_ranges", 0, "avx2", [uniform(torch.float32, 5, -1.0, 1.0),
                                           uniform(torch.float32, 4, 0.0, 1.0),
                                           uniform(torch.float32, 37, -0.37, 1.9)]),
        ("uniform_f64_ranges", 11, "avx2", [uniform(torch.float64, 3, 10.0, 20.0),
                                            uniform(torch.float64, 33, -3.3, 7.1)]),
        ("uniform_large_seed_2^40+5", (1 << 40) + 5, "avx2", [rand(8), state_hash()]),
        ("uniform_negative_seed_-1", (1 << 64) - 1, "avx2", [rand(8), state_hash()]),
        ("uniform_crosses_twist_700", 3, "avx2", [rand(700), rand(300, torch.float64)]),
        # normal, scalar path (< 16) and its cache
        ("randn_3_then_3", 0, "avx2", [randn((3,)), randn((3,))]),
        ("randn_1_x3_cache", 0, "avx2", [randn((1,)), randn((1,)), randn((1,))]),
        ("randn_f64_5", 3, "avx2", [randn((5,), torch.float64)]),
        ("randn_15", 42, "avx2", [randn((15,))]),
        ("randn_cache_shared_f32_f64", 8, "avx2", [randn((1,)), randn((1,), torch.float64),
                                                   randn((1,), torch.float64), randn((3,))]),
        ("randn_cache_survives_vector_path", 9, "avx2", [randn((3,)), randn((16,)), randn((2,))]),
        ("normal_small_mean_std", 0, "avx2", [randn((4,), mean=2.0, std=0.5),
                                              randn((3,), torch.float64, mean=-1.0, std=3.0)]),
        # normal, vectorised path (>= 16), tails
        ("randn_16", 0, "avx2", [randn((16,))]),
        ("randn_17_tail", 0, "avx2", [randn((17,))]),
        ("randn_4x8", 0, "avx2", [randn((4, 8))]),
        ("randn_100_seed5", 5, "avx2", [randn((100,))]),
        ("randn_1000_mean_std", 21, "avx2", [randn((1000,), mean=-2.5, std=0.01),
                                             randn((31,), mean=1e3, std=7.0)]),
        ("randn_f64_20_and_33", 9, "avx2", [randn((20,), torch.float64),
                                            randn((33,), torch.float64, mean=0.3, std=1.7)]),
        ("normal_noncontiguous_5x4", 2, "avx2", [normal_transposed(5, 4),
                                                  normal_transposed(3, 7, torch.float64, 1.0, 2.0)]),
        # the same under ATEN_CPU_CAPABILITY=default (no FMA, no AVX2 log/sincos)
        ("default_cap_uniform", 0, "default", [uniform(torch.float32, 40, -0.37, 1.9),
                                                uniform(torch.float64, 20, -0.37, 1.9)]),
        ("default_cap_randn_vector", 5, "default", [randn((100,)), randn((40,), mean=0.3, std=1.7),
                                                     randn((20,), torch.float64, mean=0.3, std=1.7)]),
        ("default_cap_randn_scalar", 3, "default", [randn((5,), mean=0.3, std=1.7),
                                                     randn((3,), torch.float64, mean=0.3, std=1.7)]),
        # randint (all dtypes draw alike), randperm
        ("randint_forms_seed0", 0, "avx2", [randint(5, 0, 10), randint(6, -5, 5), randint(12, 0, 2),
                                            randint(3, 3, 4)]),
        ("randint_seed123_50", 123, "avx2", [randint(50, 0, 1000)]),
        ("randint_int32_float_dtypes", 4, "avx2", [randint(7, -7, 1000, torch.int32),
                                                   randint(7, -7, 1000, torch.float32),
                                                   randint(7, -7, 1000, torch.float64)]),
        ("randint_wide_ranges", 6, "avx2", [randint(4, 0, (1 << 32) - 1), randint(4, 0, 1 << 32),
                                            randint(4, -(1 << 40), 1 << 41),
                                            randint(4, -(1 << 63), (1 << 63) - 1)]),
        ("randperm_small", 0, "avx2", [randperm(10), randperm(1), randperm(0), randperm(2)]),
        ("randperm_200_and_5", 1, "avx2", [randperm(200), randperm(5)]),
        ("randperm_5000", 11, "avx2", [randperm(5000)]),
        # bernoulli
        ("bernoulli_tensor_f32", 0, "avx2", [bernoulli_tensor(ps), bernoulli_tensor([0.5] * 8),
                                             bernoulli_tensor([0.0, 1.0, 0.0, 1.0])]),
        ("bernoulli_tensor_linspace_f64", 2, "avx2", [bernoulli_tensor(f32_list(lin20)),
                                                      bernoulli_tensor([0.5] * 3, torch.float64),
                                                      bernoulli_tensor(lin20, torch.float64)]),
        ("bernoulli_scalar", 1, "avx2", [bernoulli_scalar(10, 0.3), bernoulli_scalar(6, 0.8),
                                         bernoulli_scalar(7, 0.5, torch.float64)]),
        # dropout
        ("dropout_p05_12", 0, "avx2", [dropout(12, 0.5)]),
        ("dropout_p04_p025", 5, "avx2", [dropout(8, 0.4), dropout(12, 0.25), dropout(20, 1 / 3)]),
        ("dropout_f64", 7, "avx2", [dropout(9, 0.1, torch.float64), dropout(9, 0.4, torch.float64)]),
        # exponential, geometric, poisson
        ("exponential_geometric", 3, "avx2", [exponential(6, 1.0), exponential(5, 3.7), geometric(6, 0.2)]),
        ("poisson_small_large", 0, "avx2", [poisson([0.5, 1.0, 4.0, 0.0]), poisson([12.0, 50.0, 100.0, 2.5])]),
        ("poisson_mixed_f64", 7, "avx2", [poisson([0.01, 9.99, 10.0, 400.0, 0.0, 1234.5, 3.3, 27.0], torch.float64),
                                          poisson([25.5, 0.7, 80.0, 10.0])]),
        # multinomial
        ("multinomial_1d_seed0", 0, "avx2", [multinomial([0.1, 0.2, 0.3, 0.4], 1, False),
                                             multinomial([0.1, 0.2, 0.3, 0.4], 3, False),
                                             multinomial([0.1, 0.2, 0.3, 0.4], 4, False),
                                             multinomial([0.1, 0.2, 0.3, 0.4], 8, True)]),
        ("multinomial_rows_seed1", 1, "avx2", [multinomial([1.0, 0.0, 5.0, 2.0], 10, True),
                                               multinomial([[1.0, 1.0, 1.0], [0.5, 0.25, 4.0], [10.0, 1.0, 0.0]], 2, False),
                                               multinomial([[1.0, 1.0, 1.0], [0.5, 0.25, 4.0], [10.0, 1.0, 0.0]], 5, True)]),
        ("multinomial_ones50_perm", 2, "avx2", [multinomial([1.0] * 50, 50, False)]),
        ("multinomial_zero_ties", 4, "avx2", [multinomial([1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0], 5, False),
                                              multinomial([0.0] * 20 + [1.0] + [0.0] * 20, 30, False),
                                              multinomial([1.0, 0.0, 0.0, 1.0], 1, True)]),
        # k * 64 <= cols switches topk to partial_sort; ties among zeros expose its order
        ("multinomial_partial_sort_ties", 6, "avx2", [multinomial([0.0] * 150 + [2.0] + [0.0] * 49, 3, False),
                                                      multinomial([[0.0] * 64 + [1.0] + [0.0] * 63, [3.0] * 128], 2, False)]),
        ("multinomial_f64_and_partial_sort", 5, "avx2", [multinomial([[0.2, 0.3, 0.5, 0.0], [1.0, 2.0, 3.0, 4.0]], 3, False, torch.float64),
                                                         multinomial([(i % 7) * 0.5 for i in range(300)], 4, False),
                                                         multinomial([0.25, 0.25, 0.5], 6, True, torch.float64)]),
        # layers and state
        ("linear_4x3_seed0", 0, "avx2", [linear(4, 3)]),
        ("linear_20x10_seed10", 10, "avx2", [linear(20, 10)]),
        ("model_3_4_2_then_randn", 42, "avx2", [linear(3, 4), linear(4, 2), randn((5, 3))]),
        ("state_after_mixed_draws", 77, "avx2", [randn((3,)), state_hash(), rand(5), state_hash()]),
    ]


# --------------------------------------------------------------- generation
def expected_for(case_list):
    out = {}
    for name, seed, _cap, ops in case_list:
        torch.manual_seed(seed)
        out[name] = [bits(fn()) for (_k, _p, fn) in ops]
    return out


def compute_all():
    all_cases = cases()
    mine = [c for c in all_cases if c[2] == "avx2"]
    others = [c for c in all_cases if c[2] == "default"]
    got = expected_for(mine)
    env = dict(os.environ, ATEN_CPU_CAPABILITY="default")
    child = subprocess.run([sys.executable, __file__, "--child-default"], env=env,
                           capture_output=True, text=True, check=True)
    got.update(json.loads(child.stdout))
    assert set(got) == {c[0] for c in others} | {c[0] for c in mine}
    return all_cases, got


def c_int64(v):
    if v == -(1 << 63):
        return "INT64_MIN"
    return f"INT64_C({v})"


def c_double(v):
    return "-INFINITY" if v == -math.inf else ("INFINITY" if v == math.inf else repr(float(v)))


def emit(all_cases, got):
    lines = ["/* rng_expected.h - GENERATED by gen_rng_expected.py from PyTorch "
             f"{torch.__version__} (CPU); do not edit. */", ""]
    case_rows = []
    for ci, (name, seed, cap, ops) in enumerate(all_cases):
        op_rows = []
        for oi, ((kind, p, _fn), want) in enumerate(zip(ops, got[name])):
            w = f"want_{ci}_{oi}"
            lines.append(f"static const uint64_t {w}[] = {{" +
                         ", ".join(f"UINT64_C(0x{x:x})" for x in want) + (" 0" if not want else "") + "};")
            inp = "NULL"
            if "inp" in p:
                inp = f"inp_{ci}_{oi}"
                lines.append(f"static const double {inp}[] = {{" + ", ".join(c_double(x) for x in p["inp"]) + "};")
            op_rows.append(f"    {{OP_{kind}, {p.get('n', 0)}, {c_double(p.get('a', 0.0))}, "
                           f"{c_double(p.get('b', 0.0))}, {c_int64(p.get('i0', 0))}, {c_int64(p.get('i1', 0))}, "
                           f"{p.get('i2', 0)}, {p.get('i3', 0)}, {inp}, {w}, {len(want)}}},")
        lines.append(f"static const RngOp ops_{ci}[] = {{")
        lines.extend(op_rows)
        lines.append("};")
        lines.append("")
        cap_c = "RNG_CPU_AVX2" if cap == "avx2" else "RNG_CPU_DEFAULT"
        case_rows.append(f'    {{"{name}", UINT64_C({seed}), {cap_c}, ops_{ci}, {len(ops)}}},')
    lines.append("static const RngCase rng_cases[] = {")
    lines.extend(case_rows)
    lines.append("};")
    lines.append("")
    with open(OUT, "w") as f:
        f.write("\n".join(lines))
    print(f"wrote {OUT}: {len(all_cases)} cases, {sum(len(c[3]) for c in all_cases)} ops")


if __name__ == "__main__":
    if "--child-default" in sys.argv:
        print(json.dumps(expected_for([c for c in cases() if c[2] == "default"])))
    else:
        emit(*compute_all())
