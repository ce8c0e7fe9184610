/* fuzz_index.c: libFuzzer entry for tensor indexing: x[key] reads and x[key] = value writes.
 *
 * Input bytes choose a tensor (shape, dtype, a view of it: transposed, strided, expanded or a
 * 0-d tensor) and a key built from ints (in and out of range), slices (negative, zero and huge
 * steps), None, Ellipsis, bools, lists, nested lists, integer and boolean tensors. The program
 * reads x[key], prints it, assigns a scalar and a tensor of the result's shape through the same
 * key, and runs index_select/gather/take/masked_fill with the same index material.
 */
#include "fuzz_run.h"

static const char *const ints[] = {"0", "1", "-1", "2", "-2", "3", "5", "-7", "2**62", "-2**63",
                                   "True", "False", "2**31", "1.5", "None", "torch.tensor(1)"};
static const char *const dtypes[] = {"torch.float32", "torch.int64", "torch.bool",
                                     "torch.float64", "torch.int32", "torch.complex64"};

static void gen_int(FuzzIn *in, FuzzBuf *b)
{
    unsigned k = fz_pick(in, 24);
    if (k < 16)
        fb_puts(b, ints[k]);
    else
        fb_printf(b, "%d", (int)k - 20);
}

static void gen_slice_part(FuzzIn *in, FuzzBuf *b)
{
    if (fz_pick(in, 3))
        gen_int(in, b);
}

static void gen_item(FuzzIn *in, FuzzBuf *b, int depth)
{
    unsigned k = fz_pick(in, 14);
    switch (k) {
    case 0:
    case 1:
    case 2: gen_int(in, b); break;
    case 3:
    case 4:
        gen_slice_part(in, b);
        fb_puts(b, ":");
        gen_slice_part(in, b);
        if (fz_pick(in, 2)) {
            fb_puts(b, ":");
            gen_slice_part(in, b);
        }
        break;
    case 5: fb_puts(b, "None"); break;
    case 6: fb_puts(b, "..."); break;
    case 7:
    case 8: {
        /* a list (maybe nested) of ints, or a tensor made of one */
        bool tensor = k == 8;
        if (tensor)
            fb_puts(b, "torch.tensor(");
        fb_puts(b, "[");
        unsigned n = fz_pick(in, 5);
        for (unsigned i = 0; i < n; i++) {
            if (depth < 2 && fz_pick(in, 6) == 0) {
                fb_puts(b, "[");
                gen_int(in, b);
                fb_puts(b, ", ");
                gen_int(in, b);
                fb_puts(b, "]");
            } else {
                fb_printf(b, "%d", (int)fz_pick(in, 9) - 4);
            }
            fb_puts(b, ", ");
        }
        fb_puts(b, "]");
        if (tensor)
            fb_puts(b, fz_pick(in, 4) == 0 ? ", dtype=torch.int32)" : ")");
        break;
    }
    case 9: {
        /* a boolean mask, mostly shaped like the dims it will cover */
        fb_puts(b, "(torch.rand(");
        unsigned n = fz_pick(in, 4);
        for (unsigned i = 0; i < n; i++)
            fb_printf(b, "%u, ", fz_pick(in, 5));
        fb_puts(b, ") > 0.5)");
        break;
    }
    case 10: fb_puts(b, "(x > 1)"); break;
    case 11: fb_printf(b, "[%s, %s]", fz_pick(in, 2) ? "True" : "False", fz_pick(in, 2) ? "True" : "False"); break;
    case 12:
        if (depth < 2) {
            fb_puts(b, "(");
            gen_item(in, b, depth + 1);
            fb_puts(b, ",)");
        } else {
            fb_puts(b, "0");
        }
        break;
    default: fb_puts(b, "slice(None, None, -1)"); break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzIn in = {data, size, 0};
    FuzzBuf b = {0};
    unsigned nd = fz_pick(&in, 5);
    fb_puts(&b, "torch.manual_seed(0)\nshape = (");
    for (unsigned i = 0; i < nd; i++)
        fb_printf(&b, "%u, ", fz_pick(&in, 5));
    fb_printf(&b, ")\nn = 1\nfor s in shape:\n    n *= s\n"
                  "x = torch.arange(n).reshape(shape).to(%s)\n",
              dtypes[fz_pick(&in, 6)]);
    switch (fz_pick(&in, 6)) {
    case 0: fb_puts(&b, "x = x.t() if x.dim() == 2 else x\n"); break;
    case 1: fb_puts(&b, "x = x[::2] if x.dim() > 0 else x\n"); break;
    case 2: fb_puts(&b, "x = x.unsqueeze(0).expand(2, *x.shape)\n"); break;
    case 3: fb_puts(&b, "x = x.transpose(0, -1) if x.dim() > 0 else x\n"); break;
    default: break;
    }
    unsigned nk = fz_pick(&in, 5);
    bool tuple = nk != 1 || fz_pick(&in, 2);
    fb_puts(&b, "k = ");
    if (tuple)
        fb_puts(&b, "(");
    for (unsigned i = 0; i < nk; i++) {
        gen_item(&in, &b, 0);
        if (tuple)
            fb_puts(&b, ", ");
    }
    if (tuple)
        fb_puts(&b, ")");
    if (nk == 0 && !tuple)
        fb_puts(&b, "()");
    fb_puts(&b, "\n");
    /* each step in its own try so that one error does not hide the later ones */
    static const char *const steps[] = {
        "r = x[k]\ns = repr(r)\n",
        "y = x.clone()\ny[k] = 1\ns = repr(y)\n",
        "y = x.clone()\ny[k] = x[k] * 2\ns = repr(y)\n",
        "y = x.clone()\ny[k] = torch.ones(3)\n",
        "x[k] = 0\n",
        "s = repr(x.flatten().take(torch.tensor(k[0] if isinstance(k, tuple) and k else k)))\n",
        "s = repr(x.index_select(0, torch.tensor([k[0]] if isinstance(k, tuple) and k else k)))\n",
        "s = repr(x.masked_fill(x > 2, 5))\n",
        "s = repr(x.gather(-1, x.long().abs() % 3))\n",
        "s = repr(x[k].sum() if x.dtype != torch.bool else x[k])\n",
    };
    unsigned nsteps = 1 + fz_pick(&in, 4);
    for (unsigned i = 0; i < nsteps; i++) {
        const char *s = steps[i == 0 ? 0 : fz_pick(&in, 10)];
        fb_puts(&b, "try:\n");
        for (const char *p = s; *p;) {
            const char *e = strchr(p, '\n');
            fb_puts(&b, "    ");
            fb_add(&b, p, (size_t)(e - p + 1));
            p = e + 1;
        }
        fb_puts(&b, "except Exception as e:\n    s = str(e)\n");
    }
    fuzz_run_source(b.p, b.n);
    free(b.p);
    return 0;
}
