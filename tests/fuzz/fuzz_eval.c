/* fuzz_eval.c: libFuzzer entry for the evaluator (builtins, object model, tensors, autograd).
 *
 * An input whose first byte is below 0x40 is raw source (the rest of the bytes), which lets
 * libFuzzer mutate real programs (the seeds are the test suite's .tn files). Any other input
 * drives a generator: each byte picks the next grammar choice, so every input becomes a
 * syntactically valid program over a few variables, the builtins, str/list/dict/set methods,
 * classes with dunders, closures, generators-free control flow, and torch calls — deep enough
 * to reach the runtime rather than stop at a SyntaxError. Programs run under the time budget
 * of fuzz_run.h.
 */
#include "fuzz_run.h"

typedef struct Gen {
    FuzzIn in;
    FuzzBuf b;
    int indent;
    int nfun;
} Gen;

static unsigned pick(Gen *g, unsigned k)
{
    return fz_pick(&g->in, k);
}

static bool more(Gen *g)
{
    return g->in.i < g->in.n;
}

static const char *const vars[] = {"a", "b", "c", "d", "t", "u", "m", "s"};
static const char *const lits[] = {
    "0", "1", "-1", "2", "3", "7", "10", "255", "2**31", "2**62", "2**63", "-2**63", "10**20",
    "0.0", "-0.0", "1.5", "1e300", "1e-300", "float('inf')", "float('nan')", "True", "False",
    "None", "''", "'a'", "'abc'", "'\\u00e9x'", "'%d %s'", "'{}'", "[]", "()", "{}", "[1, 2, 3]",
    "(1, 'x')", "{'k': 1}", "{1, 2}", "range(5)", "range(-3, 10, 2)", "b'x'", "...", "1j"};
static const char *const binops[] = {"+",  "-",  "*",   "/",  "//", "%",  "**", "@",
                                     "&",  "|",  "^",   "<<", ">>", "==", "!=", "<",
                                     "<=", ">", "and", "or", "in", "not in", "is", "is not"};
static const char *const builtins[] = {
    "len", "abs", "str", "repr", "int", "float", "bool", "list", "tuple", "dict", "set",
    "sorted", "sum", "min", "max", "range", "enumerate", "zip", "reversed", "hash", "round",
    "divmod", "pow", "chr", "ord", "hex", "bin", "oct", "format", "isinstance", "type", "id",
    "any", "all", "map", "filter", "iter", "next", "print", "getattr", "hasattr", "vars", "dir",
    "callable", "slice", "frozenset", "math.sqrt", "math.floor", "math.log", "math.factorial",
    "math.gcd", "math.isclose", "torch.tensor", "torch.zeros", "torch.ones", "torch.arange",
    "torch.randn", "torch.rand", "torch.full", "torch.eye", "torch.linspace", "torch.cat",
    "torch.stack", "torch.where", "torch.matmul", "torch.einsum", "torch.max", "torch.sum",
    "torch.mean", "torch.softmax", "torch.exp", "torch.log", "torch.sort", "torch.topk",
    "torch.cumsum", "torch.randint", "torch.randperm", "torch.multinomial", "torch.flip",
    "torch.tril", "torch.outer", "torch.broadcast_tensors", "torch.chunk", "torch.split",
    "torch.linalg.inv", "torch.linalg.det", "torch.linalg.norm", "torch.linalg.solve",
    "torch.linalg.qr", "torch.linalg.svd", "torch.linalg.eigh", "torch.from_numpy",
    "F.relu", "F.softmax", "F.cross_entropy", "F.mse_loss", "F.conv1d", "F.conv2d", "F.pad",
    "F.one_hot", "F.linear", "F.max_pool2d", "F.embedding", "F.layer_norm", "F.dropout",
    "nn.Linear", "nn.ReLU", "nn.Sequential", "nn.Conv2d", "nn.Embedding", "nn.LayerNorm",
    "nn.ModuleList", "nn.Parameter", "torch.save", "torch.load", "np.array", "np.zeros",
    "np.save", "np.load", "open", "sys.setrecursionlimit", "sys.getrecursionlimit",
    "time.sleep", "time.time", "torch.manual_seed", "torch.no_grad", "torch.autograd.grad",
};
static const char *const methods[] = {
    "append", "pop", "insert", "extend", "remove", "index", "count", "sort", "reverse", "copy",
    "clear", "keys", "values", "items", "get", "setdefault", "update", "add", "discard",
    "union", "split", "join", "strip", "replace", "upper", "find", "startswith", "format",
    "encode", "zfill", "center", "sum", "mean", "std", "max", "min", "argmax", "reshape", "view",
    "t", "T", "transpose", "permute", "unsqueeze", "squeeze", "expand", "repeat", "flatten",
    "contiguous", "clone", "detach", "item", "tolist", "numpy", "float", "long", "int", "bool",
    "double", "half", "to", "type", "size", "dim", "numel", "abs", "exp", "log", "sqrt", "pow",
    "clamp", "masked_fill", "index_select", "gather", "scatter", "scatter_add", "fill_",
    "zero_", "add_", "mul_", "copy_", "requires_grad_", "backward", "retain_grad",
    "register_hook", "softmax", "cumsum", "norm", "matmul", "mm", "bmm", "narrow", "unbind",
    "split", "chunk", "topk", "sort", "nonzero", "any", "all", "eq", "where", "new_zeros",
    "storage", "stride", "is_contiguous", "data_ptr", "parameters", "state_dict",
    "load_state_dict", "zero_grad", "train", "eval", "apply", "register_forward_hook",
    "register_forward_pre_hook", "named_parameters", "children", "modules", "add_module",
};
static const char *const attrs[] = {"shape", "dtype", "grad", "grad_fn", "requires_grad",
                                    "ndim", "data", "T", "real", "is_leaf", "weight", "bias",
                                    "__class__", "__dict__", "__name__", "x", "y", "training",
                                    "start", "step", "imag", "device", "__doc__"};

static void expr(Gen *g, int depth);

static void nl(Gen *g)
{
    fb_puts(&g->b, "\n");
    for (int i = 0; i < g->indent; i++)
        fb_puts(&g->b, "    ");
}

static void args(Gen *g, int depth, unsigned max)
{
    unsigned n = pick(g, max + 1);
    for (unsigned i = 0; i < n; i++) {
        if (i)
            fb_puts(&g->b, ", ");
        if (pick(g, 8) == 0)
            fb_puts(&g->b, pick(g, 2) ? "*" : "dim=");
        expr(g, depth + 1);
    }
}

static void expr(Gen *g, int depth)
{
    FuzzBuf *b = &g->b;
    if (depth > 6 || !more(g)) {
        fb_puts(b, pick(g, 2) ? lits[pick(g, sizeof lits / sizeof *lits)]
                              : vars[pick(g, sizeof vars / sizeof *vars)]);
        return;
    }
    switch (pick(g, 22)) {
    case 0:
    case 1: fb_puts(b, lits[pick(g, sizeof lits / sizeof *lits)]); break;
    case 2:
    case 3: fb_puts(b, vars[pick(g, sizeof vars / sizeof *vars)]); break;
    case 4:
    case 5:
        fb_puts(b, "(");
        expr(g, depth + 1);
        fb_printf(b, " %s ", binops[pick(g, sizeof binops / sizeof *binops)]);
        expr(g, depth + 1);
        fb_puts(b, ")");
        break;
    case 6: {
        static const char *const un[] = {"-", "not ", "~", "+"};
        fb_puts(b, "(");
        fb_puts(b, un[pick(g, 4)]);
        expr(g, depth + 1);
        fb_puts(b, ")");
        break;
    }
    case 7:
    case 8:
        fb_puts(b, builtins[pick(g, sizeof builtins / sizeof *builtins)]);
        fb_puts(b, "(");
        args(g, depth, 3);
        fb_puts(b, ")");
        break;
    case 9:
    case 10:
        expr(g, depth + 1);
        fb_printf(b, ".%s(", methods[pick(g, sizeof methods / sizeof *methods)]);
        args(g, depth, 3);
        fb_puts(b, ")");
        break;
    case 11:
        expr(g, depth + 1);
        fb_puts(b, "[");
        expr(g, depth + 1);
        fb_puts(b, "]");
        break;
    case 12:
        expr(g, depth + 1);
        fb_puts(b, "[");
        if (pick(g, 2))
            expr(g, depth + 1);
        fb_puts(b, ":");
        if (pick(g, 2))
            expr(g, depth + 1);
        if (pick(g, 2)) {
            fb_puts(b, ":");
            expr(g, depth + 1);
        }
        if (pick(g, 3) == 0) {
            fb_puts(b, ", None, ...");
        }
        fb_puts(b, "]");
        break;
    case 13:
        expr(g, depth + 1);
        fb_printf(b, ".%s", attrs[pick(g, sizeof attrs / sizeof *attrs)]);
        break;
    case 14: {
        static const char *const open[] = {"[", "(", "{", "{"};
        static const char *const close[] = {"]", ",)", "}", "}"};
        unsigned k = pick(g, 4), n = pick(g, 4);
        fb_puts(b, open[k]);
        for (unsigned i = 0; i < n; i++) {
            expr(g, depth + 1);
            if (k == 3) {
                fb_puts(b, ": ");
                expr(g, depth + 1);
            }
            fb_puts(b, ", ");
        }
        fb_puts(b, close[k]);
        break;
    }
    case 15:
        fb_puts(b, "(lambda x, *r, **kw: ");
        expr(g, depth + 1);
        fb_puts(b, ")");
        break;
    case 16: {
        static const char *const comp[][2] = {{"[", "]"}, {"{", "}"}, {"(", ")"}, {"{x: ", "}"}};
        unsigned k = pick(g, 4);
        fb_puts(b, comp[k][0]);
        expr(g, depth + 1);
        fb_puts(b, " for x in ");
        expr(g, depth + 1);
        if (pick(g, 2)) {
            fb_puts(b, " if ");
            expr(g, depth + 1);
        }
        fb_puts(b, comp[k][1]);
        break;
    }
    case 17:
        fb_puts(b, "(");
        expr(g, depth + 1);
        fb_puts(b, " if ");
        expr(g, depth + 1);
        fb_puts(b, " else ");
        expr(g, depth + 1);
        fb_puts(b, ")");
        break;
    case 18:
        fb_puts(b, "f'{");
        expr(g, depth + 1);
        fb_puts(b, pick(g, 2) ? "!r}'" : ":>8}'");
        break;
    case 19:
        if (g->nfun) {
            fb_printf(b, "f%u(", pick(g, (unsigned)g->nfun));
            args(g, depth, 2);
            fb_puts(b, ")");
        } else {
            fb_puts(b, "C()");
        }
        break;
    case 20: fb_printf(b, "(%s := ", vars[pick(g, sizeof vars / sizeof *vars)]);
        expr(g, depth + 1);
        fb_puts(b, ")");
        break;
    default:
        fb_printf(b, "torch.%s(", pick(g, 2) ? "randn" : "arange");
        fb_printf(b, "%u", 1 + pick(g, 6));
        for (unsigned i = 0, n = pick(g, 3); i < n; i++)
            fb_printf(b, ", %u", pick(g, 5));
        fb_puts(b, pick(g, 3) == 0 ? ", requires_grad=True)" : ")");
        break;
    }
}

static void block(Gen *g, int depth);

static void stmt(Gen *g, int depth)
{
    FuzzBuf *b = &g->b;
    const char *v = vars[pick(g, sizeof vars / sizeof *vars)];
    unsigned k = depth > 3 ? pick(g, 8) : pick(g, 20);
    switch (k) {
    case 0:
    case 1:
    case 2:
        fb_printf(b, "%s = ", v);
        expr(g, 0);
        break;
    case 3:
        fb_printf(b, "%s %s= ", v, binops[pick(g, 13)]);
        expr(g, 0);
        break;
    case 4:
        fb_printf(b, "%s[", v);
        expr(g, 1);
        fb_puts(b, "] = ");
        expr(g, 0);
        break;
    case 5:
        expr(g, 0);
        break;
    case 6:
        fb_printf(b, "%s.%s = ", v, attrs[pick(g, sizeof attrs / sizeof *attrs)]);
        expr(g, 0);
        break;
    case 7:
        fb_printf(b, "del %s", v);
        if (pick(g, 2)) {
            fb_puts(b, "[");
            expr(g, 1);
            fb_puts(b, "]");
        }
        break;
    case 8:
        fb_puts(b, "if ");
        expr(g, 0);
        fb_puts(b, ":");
        block(g, depth);
        if (pick(g, 2)) {
            nl(g);
            fb_puts(b, "else:");
            block(g, depth);
        }
        break;
    case 9:
        fb_printf(b, "for %s in ", v);
        expr(g, 0);
        fb_puts(b, ":");
        block(g, depth);
        break;
    case 10:
        fb_puts(b, "while ");
        expr(g, 0);
        fb_puts(b, ":");
        block(g, depth);
        break;
    case 11: {
        unsigned id = (unsigned)g->nfun++;
        static const char *const params[] = {"x", "x, y=2", "*a, **k", "x, /, y, *, z=1", ""};
        fb_printf(b, "def f%u(%s):", id, params[pick(g, 5)]);
        g->indent++;
        if (pick(g, 2)) {
            nl(g);
            fb_printf(b, "nonlocal_ok = %u", id);
        }
        nl(g);
        stmt(g, depth + 1);
        nl(g);
        fb_puts(b, pick(g, 3) ? "return " : "return f" );
        if (b->p[b->n - 1] == 'f')
            fb_printf(b, "%u(x) if isinstance(x, int) and x > 0 else 0", id);
        else
            expr(g, 0);
        g->indent--;
        break;
    }
    case 12: {
        static const char *const bases[] = {"", "(Exception)", "(nn.Module)", "(C)", "(dict)"};
        fb_printf(b, "class C%s:", bases[pick(g, 5)]);
        g->indent++;
        static const char *const dunders[] = {"__init__(self, *a)", "__repr__(self)",
                                              "__eq__(self, o)", "__hash__(self)",
                                              "__len__(self)", "__getitem__(self, i)",
                                              "__add__(self, o)", "__iter__(self)",
                                              "__call__(self, *a)", "__bool__(self)",
                                              "__del__(self)", "forward(self, x)",
                                              "__getattr__(self, n)", "__lt__(self, o)"};
        for (unsigned i = 0, n = 1 + pick(g, 3); i < n; i++) {
            nl(g);
            fb_printf(b, "def %s:", dunders[pick(g, 14)]);
            g->indent++;
            nl(g);
            if (pick(g, 2)) {
                stmt(g, depth + 2);
                nl(g);
            }
            fb_puts(b, "return ");
            expr(g, 2);
            g->indent--;
        }
        g->indent--;
        break;
    }
    case 13:
        fb_puts(b, "try:");
        block(g, depth);
        nl(g);
        fb_puts(b, pick(g, 2) ? "except Exception as e:" : "except (ValueError, TypeError):");
        block(g, depth);
        if (pick(g, 2)) {
            nl(g);
            fb_puts(b, "finally:");
            block(g, depth);
        }
        break;
    case 14:
        fb_puts(b, "raise ");
        fb_puts(b, pick(g, 2) ? "ValueError(" : "C(");
        expr(g, 1);
        fb_puts(b, ")");
        break;
    case 15:
        fb_puts(b, "with torch.no_grad():");
        block(g, depth);
        break;
    case 16:
        fb_printf(b, "%s, *%s = ", v, vars[pick(g, sizeof vars / sizeof *vars)]);
        expr(g, 0);
        break;
    case 17:
        fb_puts(b, "assert ");
        expr(g, 0);
        break;
    case 18:
        fb_printf(b, "%s = nn.Sequential(nn.Linear(%u, %u), nn.ReLU())", v, 1 + pick(g, 4),
                  1 + pick(g, 4));
        break;
    default:
        fb_printf(b, "%s = torch.randn(%u, %u, requires_grad=True)", v, 1 + pick(g, 4),
                  1 + pick(g, 4));
        break;
    }
}

static void block(Gen *g, int depth)
{
    g->indent++;
    unsigned n = 1 + pick(g, 3);
    for (unsigned i = 0; i < n; i++) {
        nl(g);
        stmt(g, depth + 1);
    }
    g->indent--;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] < 0x40) {
        fuzz_run_source((const char *)data + 1, size - 1);
        return 0;
    }
    Gen g;
    memset(&g, 0, sizeof g);
    g.in = (FuzzIn){data, size, 1};
    /* every statement in its own try at top level, so that one error does not end the run */
    fb_puts(&g.b, "class C:\n    pass\n");
    for (int i = 0; i < 40 && more(&g); i++) {
        bool guarded = data[0] & 1;
        if (guarded) {
            fb_puts(&g.b, "try:");
            g.indent = 1;
            nl(&g);
        }
        stmt(&g, 0);
        g.indent = 0;
        if (guarded)
            fb_puts(&g.b, "\nexcept Exception:\n    pass");
        fb_puts(&g.b, "\n");
    }
    fuzz_run_source(g.b.p, g.b.n);
    free(g.b.p);
    return 0;
}
