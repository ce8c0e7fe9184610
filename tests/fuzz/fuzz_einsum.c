/* fuzz_einsum.c: libFuzzer entry for torch.einsum's equation parser, shape checks and contraction.
 *
 * Input: a flags byte, the equation (bytes up to the first newline, at most 80), then bytes
 * choosing label sizes. The harness writes a tn program that builds operands whose shapes
 * mostly agree with the equation (so the contraction runs, not only the error paths), with
 * an occasional wrong dimension, in a dtype the flags pick, and calls einsum in the string form
 * or the sublist form, then backward() through it for floating operands.
 */
#include "fuzz_run.h"

static const char *const dtypes[] = {"torch.float32", "torch.float64", "torch.int64",
                                     "torch.bool", "torch.int32", "torch.float32"};

static int label_of(uint8_t c)
{
    if (c >= 'a' && c <= 'z')
        return c - 'a';
    if (c >= 'A' && c <= 'Z')
        return 26 + c - 'A';
    return -1;
}

#define MAX_OPERAND_ELEMS 65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    FuzzIn in = {data, size, 0};
    unsigned flags = fz_byte(&in);
    size_t eq0 = in.i, eqn = 0;
    while (in.i < in.n && data[in.i] != '\n' && eqn < 80) {
        in.i++;
        eqn++;
    }
    if (in.i < in.n && data[in.i] == '\n')
        in.i++;
    const uint8_t *eq = data + eq0;
    int sizes[52];
    for (int i = 0; i < 52; i++)
        sizes[i] = 1 + (int)fz_pick(&in, 4) - (fz_pick(&in, 16) == 0); /* 0..4, mostly 1..4 */
    int ell = (int)fz_pick(&in, 4);
    int ellsz[3] = {1 + (int)fz_pick(&in, 3), 1 + (int)fz_pick(&in, 3), 1 + (int)fz_pick(&in, 3)};
    bool grad = (flags & 0x30) == 0x30 && (flags % 6 < 2 || flags % 6 == 5);
    bool sublist = (flags & 0xc0) == 0xc0;

    FuzzBuf b = {0};
    fb_printf(&b, "torch.manual_seed(0)\ndt = %s\nops = []\nsubs = []\n", dtypes[flags % 6]);
    size_t lhs_end = eqn;
    for (size_t i = 0; i + 1 < eqn; i++)
        if (eq[i] == '-' && eq[i + 1] == '>') {
            lhs_end = i;
            break;
        }
    /* one operand per comma-separated term of the left side */
    size_t t0 = 0;
    int nops = 0;
    while (t0 <= lhs_end && nops < 6) {
        size_t t1 = t0;
        while (t1 < lhs_end && eq[t1] != ',')
            t1++;
        FuzzBuf shape = {0}, sub = {0};
        int64_t numel = 1;
        fb_puts(&shape, "(");
        fb_puts(&sub, "[");
        for (size_t i = t0; i < t1; i++) {
            int l = label_of(eq[i]);
            if (l >= 0) {
                int s = sizes[l];
                if (fz_pick(&in, 32) == 0)
                    s = (int)fz_pick(&in, 6);
                fb_printf(&shape, "%d,", s);
                numel *= s;
                fb_printf(&sub, "%d,", l);
            } else if (eq[i] == '.' && i + 2 < t1 && eq[i + 1] == '.' && eq[i + 2] == '.') {
                for (int k = 0; k < ell; k++) {
                    fb_printf(&shape, "%d,", ellsz[k]);
                    numel *= ellsz[k];
                }
                fb_puts(&sub, "...,");
                i += 2;
            }
        }
        fb_puts(&shape, ")");
        fb_puts(&sub, "]");
        fb_printf(&b, "ops.append(torch.randn(%s).mul(3).to(dt)%s)\nsubs.append(%s)\n", shape.p,
                  grad ? ".requires_grad_()" : "", sub.p);
        free(shape.p);
        free(sub.p);
        if (numel > MAX_OPERAND_ELEMS) {
            /* a dozen labels of size 4 make a 16M-element randn: seconds under ASan and a
             * "timeout" that says nothing about einsum */
            free(b.p);
            return 0;
        }
        nops++;
        t0 = t1 + 1;
    }
    fb_puts(&b, "eq = ");
    fb_strlit(&b, eq, eqn);
    fb_puts(&b, "\n");
    if (sublist) {
        /* torch.einsum(op0, sub0, op1, sub1, ..., [out]) with the output from the right side */
        fb_puts(&b, "args = []\nfor o, s in zip(ops, subs):\n    args += [o, s]\n");
        if (lhs_end < eqn) {
            fb_puts(&b, "args.append([");
            for (size_t i = lhs_end + 2; i < eqn; i++)
                if (label_of(eq[i]) >= 0)
                    fb_printf(&b, "%d,", label_of(eq[i]));
                else if (eq[i] == '.')
                    fb_puts(&b, "...,"), i += 2;
            fb_puts(&b, "])\n");
        }
        fb_puts(&b, "r = torch.einsum(*args)\n");
    } else if (flags & 1) {
        fb_puts(&b, "r = torch.einsum(eq, ops)\n");
    } else {
        fb_puts(&b, "r = torch.einsum(eq, *ops)\n");
    }
    fb_puts(&b, "s = repr(r)\n");
    if (grad)
        fb_puts(&b, "r.sum().backward()\ng = [o.grad for o in ops]\n");
    fuzz_run_source(b.p, b.n);
    free(b.p);
    return 0;
}
