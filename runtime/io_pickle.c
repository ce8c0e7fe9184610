/* io_pickle.c: a restricted unpickler (only the opcodes and globals torch.save data need,
 * as PyTorch's weights_only loader) and the protocol-2 pickler behind torch.save.
 *
 * Safety of the unpickler: every read is bounds-checked; ints are at most 64-bit;
 * the memo and stacks grow only with the input; containers fetched back from the
 * memo are shallow copies, so no container can ever be reached from itself (no
 * reference cycles, no unbounded recursion), and nesting is capped at MAX_DEPTH. */
#include "io.h"
#include "types.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 100

TnType io_pickle_global_type = {
    .head = {1 << 30, &tn_type_type},
    .name = "pickle_global",
};

/* ================================================================ unpickler */
typedef struct {
    TnValue v;
    int depth;    /* container nesting: 0 for scalars and tensors */
    int64_t memo; /* memo slot holding the same object, or -1 */
} Slot;

typedef struct {
    TnState *st;
    const uint8_t *p;
    size_t n, pos;
    Slot *stack;
    int64_t sp, cap;
    int64_t *marks;
    int64_t nmarks, capmarks;
    Slot *memo;
    int64_t capmemo, nmemo; /* nmemo: entries set (for MEMOIZE) */
    const PickleHooks *h;
} Up;

static int fail(Up *u, const char *fmt, const char *arg)
{
    return tn_raise_int(u->st, tn_RuntimeError,
                        "Weights only load failed: %s (at byte %zu of the pickle). tn's torch.load "
                        "reads only tensors, Parameters, containers, numbers and strings.",
                        arg ? arg : fmt, u->pos);
}

static int need(Up *u, size_t k)
{
    if (u->n - u->pos < k)
        return fail(u, "truncated pickle data", NULL);
    return 0;
}

static bool is_mutable(TnValue v)
{
    return IS_LIST(v) || tn_is_dict(v);
}

static int push(Up *u, TnValue v, int depth)
{
    if (IS_UNDEF(v))
        return -1;
    if (depth > MAX_DEPTH) {
        tn_decref(v);
        return fail(u, "containers nested too deeply", NULL);
    }
    if (u->sp == u->cap) {
        int64_t cap = u->cap ? u->cap * 2 : 64;
        Slot *s = tn_realloc(u->stack, sizeof(Slot) * (size_t)cap);
        if (!s) {
            tn_decref(v);
            return (void)tn_no_memory(u->st), -1;
        }
        u->stack = s;
        u->cap = cap;
    }
    u->stack[u->sp++] = (Slot){v, depth, -1};
    return 0;
}

static int64_t mark_base(Up *u)
{
    return u->nmarks ? u->marks[u->nmarks - 1] : 0;
}

/* Pops one value (owned by the caller); fails on an empty stack or at a mark. */
static int pop(Up *u, Slot *out)
{
    if (u->sp <= mark_base(u))
        return fail(u, "stack underflow", NULL);
    *out = u->stack[--u->sp];
    return 0;
}

static Slot *top(Up *u)
{
    if (u->sp <= mark_base(u))
        return (void)fail(u, "stack underflow", NULL), NULL;
    return &u->stack[u->sp - 1];
}

static int pop_mark(Up *u, int64_t *base)
{
    if (!u->nmarks)
        return fail(u, "MARK missing", NULL);
    *base = u->marks[--u->nmarks];
    return 0;
}

static void release(Up *u, int64_t from)
{
    while (u->sp > from)
        tn_decref(u->stack[--u->sp].v);
}

/* A container on the stack grew: its nesting (and its memo copy's) follows. */
static int grew(Up *u, Slot *s, int child_depth)
{
    if (child_depth + 1 > s->depth)
        s->depth = child_depth + 1;
    if (s->depth > MAX_DEPTH)
        return fail(u, "containers nested too deeply", NULL);
    if (s->memo >= 0 && s->memo < u->capmemo && u->memo[s->memo].v.u.o == s->v.u.o)
        u->memo[s->memo].depth = s->depth;
    return 0;
}

/* ------------------------------------------------------------------- reads */
static uint64_t rd_le(const uint8_t *p, int k)
{
    uint64_t v = 0;
    for (int i = k - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static int read_uint(Up *u, int k, uint64_t *v)
{
    if (need(u, (size_t)k) < 0)
        return -1;
    *v = rd_le(u->p + u->pos, k);
    u->pos += (size_t)k;
    return 0;
}

static bool valid_utf8(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        size_t k = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (!k || n - i < k || (k == 2 && c < 0xC2) || (k == 4 && c > 0xF4))
            return false;
        for (size_t j = 1; j < k; j++)
            if ((s[i + j] & 0xC0) != 0x80)
                return false;
        if (k == 3 && ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] >= 0xA0)))
            return false;
        if (k == 4 && ((c == 0xF0 && s[i + 1] < 0x90) || (c == 0xF4 && s[i + 1] >= 0x90)))
            return false;
        i += k;
    }
    return true;
}

static int op_unicode(Up *u, int lenbytes)
{
    uint64_t len;
    if (read_uint(u, lenbytes, &len) < 0 || need(u, 0) < 0)
        return -1;
    if (len > u->n - u->pos)
        return fail(u, "truncated pickle data", NULL);
    const uint8_t *s = u->p + u->pos;
    u->pos += (size_t)len;
    if (!valid_utf8(s, (size_t)len))
        return fail(u, "string is not valid UTF-8", NULL);
    return push(u, tn_str_n(u->st, (const char *)s, (int64_t)len), 0);
}

static int op_long1(Up *u)
{
    uint64_t n;
    if (read_uint(u, 1, &n) < 0)
        return -1;
    if (n > 8)
        return fail(u, "integer wider than 64 bits", NULL);
    if (need(u, (size_t)n) < 0)
        return -1;
    uint64_t v = rd_le(u->p + u->pos, (int)n);
    if (n > 0 && n < 8 && (u->p[u->pos + n - 1] & 0x80))
        v |= ~(uint64_t)0 << (8 * n); /* sign-extend */
    u->pos += (size_t)n;
    return push(u, tn_int((int64_t)v), 0);
}

static int op_binfloat(Up *u)
{
    if (need(u, 8) < 0)
        return -1;
    uint64_t bits = 0;
    for (int i = 0; i < 8; i++)
        bits = bits << 8 | u->p[u->pos + (size_t)i];
    u->pos += 8;
    double d;
    memcpy(&d, &bits, 8);
    return push(u, tn_float(d), 0);
}

/* ------------------------------------------------------------------ globals */
static const struct {
    const char *module, *name;
    PickleGlobalKind kind;
    TnDType dtype;
} allowed_globals[] = {
    {"collections", "OrderedDict", PG_ORDEREDDICT, DT_FLOAT32},
    {"torch._utils", "_rebuild_tensor_v2", PG_REBUILD_TENSOR_V2, DT_FLOAT32},
    {"torch._utils", "_rebuild_parameter", PG_REBUILD_PARAMETER, DT_FLOAT32},
    {"torch", "FloatStorage", PG_STORAGE, DT_FLOAT32},
    {"torch", "DoubleStorage", PG_STORAGE, DT_FLOAT64},
    {"torch", "LongStorage", PG_STORAGE, DT_INT64},
    {"torch", "IntStorage", PG_STORAGE, DT_INT32},
    {"torch", "BoolStorage", PG_STORAGE, DT_BOOL},
};

static int push_global(Up *u, const char *module, size_t mlen, const char *name, size_t nlen)
{
    for (size_t i = 0; i < sizeof allowed_globals / sizeof allowed_globals[0]; i++) {
        if (strlen(allowed_globals[i].module) != mlen || strlen(allowed_globals[i].name) != nlen ||
            memcmp(allowed_globals[i].module, module, mlen) || memcmp(allowed_globals[i].name, name, nlen))
            continue;
        PickleGlobal *g = tn_alloc_object(u->st, &io_pickle_global_type, sizeof(PickleGlobal));
        if (!g)
            return -1;
        g->kind = allowed_globals[i].kind;
        g->dtype = allowed_globals[i].dtype;
        return push(u, tn_obj(g), 0);
    }
    char msg[160];
    snprintf(msg, sizeof msg, "unsupported global: GLOBAL %.*s.%.*s is not an allowed global",
             (int)(mlen > 60 ? 60 : mlen), module, (int)(nlen > 60 ? 60 : nlen), name);
    return fail(u, NULL, msg);
}

/* GLOBAL: "module\nname\n" in the opcode stream. */
static int read_line(Up *u, const char **s, size_t *len)
{
    const uint8_t *start = u->p + u->pos;
    size_t left = u->n - u->pos;
    const uint8_t *nl = memchr(start, '\n', left > 256 ? 256 : left);
    if (!nl)
        return fail(u, "GLOBAL line missing or too long", NULL);
    *s = (const char *)start;
    *len = (size_t)(nl - start);
    u->pos += *len + 1;
    return 0;
}

static int op_global(Up *u)
{
    const char *m, *n;
    size_t ml, nl;
    if (read_line(u, &m, &ml) < 0 || read_line(u, &n, &nl) < 0)
        return -1;
    return push_global(u, m, ml, n, nl);
}

static int op_stack_global(Up *u)
{
    Slot name, module;
    if (pop(u, &name) < 0)
        return -1;
    if (pop(u, &module) < 0) {
        tn_decref(name.v);
        return -1;
    }
    int rc;
    if (!IS_STR(name.v) || !IS_STR(module.v))
        rc = fail(u, "STACK_GLOBAL needs two strings", NULL);
    else
        rc = push_global(u, AS_STR(module.v)->data, (size_t)AS_STR(module.v)->len,
                         AS_STR(name.v)->data, (size_t)AS_STR(name.v)->len);
    tn_decref(name.v);
    tn_decref(module.v);
    return rc;
}

/* --------------------------------------------------------------- containers */
static int op_tuple_n(Up *u, int64_t base)
{
    int64_t n = u->sp - base;
    TnValue t = tuple_new(u->st, n);
    if (IS_UNDEF(t))
        return -1;
    int depth = 0;
    for (int64_t i = 0; i < n; i++) {
        tuple_set(t, i, u->stack[base + i].v);
        if (u->stack[base + i].depth + 1 > depth)
            depth = u->stack[base + i].depth + 1;
    }
    u->sp = base;
    return push(u, t, depth);
}

static int op_tuple_k(Up *u, int64_t k)
{
    if (u->sp - mark_base(u) < k)
        return fail(u, "stack underflow", NULL);
    return op_tuple_n(u, u->sp - k);
}

static int op_mark_tuple(Up *u)
{
    int64_t base = 0;
    if (pop_mark(u, &base) < 0)
        return -1;
    return op_tuple_n(u, base);
}

/* Appends stack[from..sp) to the list just below `from`. */
static int append_from(Up *u, int64_t from)
{
    if (from - 1 < mark_base(u))
        return fail(u, "APPEND without a list", NULL);
    Slot *l = &u->stack[from - 1];
    if (!IS_LIST(l->v))
        return fail(u, "APPEND to something that is not a list", NULL);
    for (int64_t i = from; i < u->sp; i++)
        if (list_append(u->st, AS_LIST(l->v), u->stack[i].v) < 0 || grew(u, l, u->stack[i].depth) < 0)
            return -1;
    release(u, from);
    return 0;
}

static int op_appends(Up *u)
{
    int64_t base = 0;
    if (pop_mark(u, &base) < 0)
        return -1;
    return append_from(u, base);
}

static int setitems_from(Up *u, int64_t from)
{
    if (from - 1 < mark_base(u) || (u->sp - from) % 2)
        return fail(u, "SETITEM without a dict", NULL);
    Slot *d = &u->stack[from - 1];
    if (!tn_is_dict(d->v))
        return fail(u, "SETITEM on something that is not a dict", NULL);
    for (int64_t i = from; i < u->sp; i += 2) {
        if (dict_set(u->st, AS_DICT(d->v), u->stack[i].v, u->stack[i + 1].v) < 0 ||
            grew(u, d, u->stack[i].depth) < 0 || grew(u, d, u->stack[i + 1].depth) < 0)
            return -1;
    }
    release(u, from);
    return 0;
}

static int op_setitems(Up *u)
{
    int64_t base = 0;
    if (pop_mark(u, &base) < 0)
        return -1;
    return setitems_from(u, base);
}

static int op_list_or_dict(Up *u, bool dict)
{
    int64_t base = 0;
    if (pop_mark(u, &base) < 0)
        return -1;
    /* put the new container under the items, then fill it */
    if (push(u, dict ? dict_new(u->st) : list_new(u->st, 0), 0) < 0)
        return -1;
    Slot c = u->stack[u->sp - 1];
    memmove(&u->stack[base + 1], &u->stack[base], sizeof(Slot) * (size_t)(u->sp - 1 - base));
    u->stack[base] = c;
    return dict ? setitems_from(u, base + 1) : append_from(u, base + 1);
}

/* ---------------------------------------------------------------------- memo */
static int op_put(Up *u, uint64_t idx)
{
    Slot *t = top(u);
    if (!t)
        return -1;
    if (idx > (uint64_t)u->n + 1024)
        return fail(u, "memo index too large", NULL);
    if ((int64_t)idx >= u->capmemo) {
        int64_t cap = (int64_t)idx + 1 > u->capmemo * 2 ? (int64_t)idx + 1 : u->capmemo * 2;
        Slot *m = tn_realloc(u->memo, sizeof(Slot) * (size_t)cap);
        if (!m)
            return (void)tn_no_memory(u->st), -1;
        for (int64_t i = u->capmemo; i < cap; i++)
            m[i] = (Slot){tn_undef(), 0, -1};
        u->memo = m;
        u->capmemo = cap;
    }
    Slot *m = &u->memo[idx];
    if (IS_UNDEF(m->v))
        u->nmemo++;
    tn_decref(m->v);
    *m = (Slot){tn_ref(t->v), t->depth, -1};
    t->memo = (int64_t)idx;
    return 0;
}

/* A memoized list or dict comes back as a shallow copy: see the file comment. */
static TnValue copy_container(TnState *st, TnValue v)
{
    if (IS_LIST(v))
        return list_from_array(st, AS_LIST(v)->items, AS_LIST(v)->n);
    TnValue d = AS_OBJ(v)->type == &tn_ordereddict_type ? ordereddict_new(st) : dict_new(st);
    if (!IS_UNDEF(d) && dict_update(st, AS_DICT(d), v) < 0) {
        tn_decref(d);
        return tn_undef();
    }
    return d;
}

static int op_get(Up *u, uint64_t idx)
{
    if (idx >= (uint64_t)u->capmemo || IS_UNDEF(u->memo[idx].v))
        return fail(u, "memo key not found", NULL);
    Slot m = u->memo[idx];
    TnValue v = is_mutable(m.v) ? copy_container(u->st, m.v) : tn_ref(m.v);
    return push(u, v, m.depth);
}

/* ------------------------------------------------------------ reduce, build */
static int do_reduce(Up *u)
{
    Slot args, fn;
    if (pop(u, &args) < 0)
        return -1;
    if (pop(u, &fn) < 0) {
        tn_decref(args.v);
        return -1;
    }
    int rc = -1;
    if (!IS_PICKLE_GLOBAL(fn.v) || !IS_TUPLE(args.v)) {
        rc = fail(u, "REDUCE of something that is not an allowed global", NULL);
    } else {
        PickleGlobal *g = (PickleGlobal *)AS_OBJ(fn.v);
        if (g->kind == PG_ORDEREDDICT) {
            rc = AS_TUPLE(args.v)->n == 0 ? push(u, ordereddict_new(u->st), 1)
                                          : fail(u, "OrderedDict() takes no arguments here", NULL);
        } else if (g->kind == PG_STORAGE) {
            rc = fail(u, "storage classes are only valid in persistent ids", NULL);
        } else {
            rc = push(u, u->h->reduce(u->st, u->h->ctx, g, args.v), 0);
        }
    }
    tn_decref(args.v);
    tn_decref(fn.v);
    return rc;
}

/* BUILD: PyTorch puts a state_dict's `_metadata` on the OrderedDict; tn drops it. */
static int op_build(Up *u)
{
    Slot state;
    if (pop(u, &state) < 0)
        return -1;
    Slot *t = top(u);
    int rc = 0;
    if (!t)
        rc = -1;
    else if (!IS_TYPEOF(t->v, &tn_ordereddict_type))
        rc = fail(u, "BUILD is only supported on an OrderedDict", NULL);
    tn_decref(state.v);
    return rc;
}

static int op_persid(Up *u)
{
    Slot pid;
    if (pop(u, &pid) < 0)
        return -1;
    TnValue v = u->h->persistent_load(u->st, u->h->ctx, pid.v);
    tn_decref(pid.v);
    return push(u, v, 0);
}

static int op_mark(Up *u)
{
    if (u->nmarks == u->capmarks) {
        int64_t cap = u->capmarks ? u->capmarks * 2 : 16;
        int64_t *m = tn_realloc(u->marks, sizeof(int64_t) * (size_t)cap);
        if (!m)
            return (void)tn_no_memory(u->st), -1;
        u->marks = m;
        u->capmarks = cap;
    }
    u->marks[u->nmarks++] = u->sp;
    return 0;
}

static int op_pop(Up *u)
{
    if (u->nmarks && u->marks[u->nmarks - 1] == u->sp) {
        u->nmarks--;
        return 0;
    }
    Slot s;
    if (pop(u, &s) < 0)
        return -1;
    tn_decref(s.v);
    return 0;
}

static int op_pop_mark(Up *u)
{
    int64_t base = 0;
    if (pop_mark(u, &base) < 0)
        return -1;
    release(u, base);
    return 0;
}

/* One opcode; 1 at STOP, 0 to go on, -1 on error. */
static int step(Up *u)
{
    if (need(u, 1) < 0)
        return -1;
    uint8_t op = u->p[u->pos++];
    uint64_t v;
    switch (op) {
    case 0x80: /* PROTO */
        if (read_uint(u, 1, &v) < 0)
            return -1;
        return v <= 5 ? 0 : fail(u, "unsupported pickle protocol", NULL);
    case 0x95: /* FRAME */ return read_uint(u, 8, &v);
    case '.': return 1;
    case '(': return op_mark(u);
    case '0': return op_pop(u);
    case '1': return op_pop_mark(u);
    case 'N': return push(u, tn_none(), 0);
    case 0x88: return push(u, tn_bool(true), 0);
    case 0x89: return push(u, tn_bool(false), 0);
    case 'K': return read_uint(u, 1, &v) < 0 ? -1 : push(u, tn_int((int64_t)v), 0);
    case 'M': return read_uint(u, 2, &v) < 0 ? -1 : push(u, tn_int((int64_t)v), 0);
    case 'J': return read_uint(u, 4, &v) < 0 ? -1 : push(u, tn_int((int32_t)(uint32_t)v), 0);
    case 0x8a: return op_long1(u);
    case 'G': return op_binfloat(u);
    case 'X': return op_unicode(u, 4);
    case 0x8c: return op_unicode(u, 1);
    case 0x8d: return op_unicode(u, 8);
    case ')': return push(u, tuple_new(u->st, 0), 1);
    case 't': return op_mark_tuple(u);
    case 0x85: return op_tuple_k(u, 1);
    case 0x86: return op_tuple_k(u, 2);
    case 0x87: return op_tuple_k(u, 3);
    case ']': return push(u, list_new(u->st, 0), 1);
    case 'a': return append_from(u, u->sp - 1);
    case 'e': return op_appends(u);
    case 'l': return op_list_or_dict(u, false);
    case '}': return push(u, dict_new(u->st), 1);
    case 's': return setitems_from(u, u->sp - 2);
    case 'u': return op_setitems(u);
    case 'd': return op_list_or_dict(u, true);
    case 'c': return op_global(u);
    case 0x93: return op_stack_global(u);
    case 'R': return do_reduce(u);
    case 'b': return op_build(u);
    case 'Q': return op_persid(u);
    case 'q': return read_uint(u, 1, &v) < 0 ? -1 : op_put(u, v);
    case 'r': return read_uint(u, 4, &v) < 0 ? -1 : op_put(u, v);
    case 0x94: return op_put(u, (uint64_t)u->nmemo);
    case 'h': return read_uint(u, 1, &v) < 0 ? -1 : op_get(u, v);
    case 'j': return read_uint(u, 4, &v) < 0 ? -1 : op_get(u, v);
    default: {
        char msg[64];
        u->pos--;
        snprintf(msg, sizeof msg, "unsupported pickle opcode 0x%02x", op);
        return fail(u, NULL, msg);
    }
    }
}

TnValue pickle_load(TnState *st, const uint8_t *buf, size_t len, const PickleHooks *hooks)
{
    Up u = {.st = st, .p = buf, .n = len, .h = hooks};
    int rc;
    while ((rc = step(&u)) == 0)
        if (tn_interrupted)
            break;
    TnValue result = tn_undef();
    if (rc == 1) {
        Slot s;
        if (pop(&u, &s) == 0)
            result = s.v;
    } else if (rc == 0) {
        tn_interrupted = 0;
        tn_raise_value(st, tn_ref(tn_obj(tn_KeyboardInterrupt)));
    }
    release(&u, 0);
    for (int64_t i = 0; i < u.capmemo; i++)
        tn_decref(u.memo[i].v);
    tn_free(u.memo);
    tn_free(u.stack);
    tn_free(u.marks);
    return result;
}

/* ================================================================== pickler */
static int nomem(TnState *st)
{
    return (void)tn_no_memory(st), -1;
}

int pickle_op(TnState *st, Pickler *p, uint8_t op)
{
    return buf_putc(&p->out, (char)op) ? 0 : nomem(st);
}

static int put_le(TnState *st, Pickler *p, uint64_t v, int k)
{
    for (int i = 0; i < k; i++)
        if (!buf_putc(&p->out, (char)(v >> (8 * i) & 0xFF)))
            return nomem(st);
    return 0;
}

/* BINPUT/LONG_BINPUT the object just written under `key` (an id or a global name).
 * The memo holds `obj` alive, as Python's does, so no later object reuses its id. */
static int memoize(TnState *st, Pickler *p, TnValue key, TnValue obj)
{
    if (!p->memo) {
        TnValue d = dict_new(st), k = list_new(st, 0);
        p->memo = IS_UNDEF(d) ? NULL : AS_DICT(d);
        p->keep = IS_UNDEF(k) ? NULL : AS_LIST(k);
        if (!p->memo || !p->keep)
            return -1;
    }
    int64_t idx = p->nmemo++;
    if (dict_set(st, p->memo, key, tn_int(idx)) < 0 || list_append(st, p->keep, obj) < 0)
        return -1;
    if (idx < 256)
        return pickle_op(st, p, 'q') < 0 ? -1 : put_le(st, p, (uint64_t)idx, 1);
    return pickle_op(st, p, 'r') < 0 ? -1 : put_le(st, p, (uint64_t)idx, 4);
}

/* Writes BINGET if key was memoized: 1 done, 0 not memoized, -1 error. */
static int memo_get(TnState *st, Pickler *p, TnValue key)
{
    TnValue idx;
    if (!p->memo)
        return 0;
    int found = dict_lookup(st, p->memo, key, &idx);
    if (found <= 0)
        return found;
    int64_t i = AS_INT(idx);
    if (i < 256)
        return pickle_op(st, p, 'h') < 0 || put_le(st, p, (uint64_t)i, 1) < 0 ? -1 : 1;
    return pickle_op(st, p, 'j') < 0 || put_le(st, p, (uint64_t)i, 4) < 0 ? -1 : 1;
}

static TnValue id_key(TnValue v)
{
    return tn_int((int64_t)(intptr_t)AS_OBJ(v));
}

int pickle_global(TnState *st, Pickler *p, const char *module, const char *name)
{
    TnValue key = tn_str_fmt(st, "%s\n%s\n", module, name);
    if (IS_UNDEF(key))
        return -1;
    int rc = memo_get(st, p, key);
    if (rc == 0)
        rc = pickle_op(st, p, 'c') < 0 || !buf_puts(&p->out, AS_STR(key)->data) ? nomem(st)
                                                                                   : memoize(st, p, key, key);
    tn_decref(key);
    return rc < 0 ? -1 : 0;
}

int pickle_empty_ordereddict(TnState *st, Pickler *p)
{
    if (pickle_global(st, p, "collections", "OrderedDict") < 0 || pickle_op(st, p, ')') < 0)
        return -1;
    return pickle_op(st, p, 'R');
}

static int dump_int(TnState *st, Pickler *p, int64_t i)
{
    if (i >= 0 && i < 256)
        return pickle_op(st, p, 'K') < 0 ? -1 : put_le(st, p, (uint64_t)i, 1);
    if (i >= 0 && i < 65536)
        return pickle_op(st, p, 'M') < 0 ? -1 : put_le(st, p, (uint64_t)i, 2);
    if (i >= INT32_MIN && i <= INT32_MAX)
        return pickle_op(st, p, 'J') < 0 ? -1 : put_le(st, p, (uint64_t)i, 4);
    /* LONG1: the shortest little-endian two's complement */
    int n = 8;
    while (n > 1) {
        int64_t hi = i >> (8 * (n - 1) - 1);
        if (hi != 0 && hi != -1)
            break;
        n--;
    }
    return pickle_op(st, p, 0x8a) < 0 || pickle_op(st, p, (uint8_t)n) < 0
               ? -1
               : put_le(st, p, (uint64_t)i, n);
}

static int dump_float(TnState *st, Pickler *p, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, 8);
    if (pickle_op(st, p, 'G') < 0)
        return -1;
    for (int i = 7; i >= 0; i--)
        if (pickle_op(st, p, (uint8_t)(bits >> (8 * i))) < 0)
            return -1;
    return 0;
}

static int dump_str(TnState *st, Pickler *p, TnValue v)
{
    int rc = memo_get(st, p, id_key(v));
    if (rc)
        return rc < 0 ? -1 : 0;
    TnStr *s = AS_STR(v);
    if (pickle_op(st, p, 'X') < 0 || put_le(st, p, (uint64_t)s->len, 4) < 0 ||
        !buf_putn(&p->out, s->data, (size_t)s->len))
        return nomem(st);
    return memoize(st, p, id_key(v), v);
}

static int dump_tuple(TnState *st, Pickler *p, TnValue v)
{
    TnTuple *t = AS_TUPLE(v);
    if (t->n == 0)
        return pickle_op(st, p, ')');
    int rc = memo_get(st, p, id_key(v));
    if (rc)
        return rc < 0 ? -1 : 0;
    if (t->n > 3 && pickle_op(st, p, '(') < 0)
        return -1;
    for (int64_t i = 0; i < t->n; i++)
        if (pickle_dump(st, p, t->items[i]) < 0)
            return -1;
    static const uint8_t small[] = {0, 0x85, 0x86, 0x87};
    if (pickle_op(st, p, t->n <= 3 ? small[t->n] : 't') < 0)
        return -1;
    return memoize(st, p, id_key(v), v);
}

/* Python's _batch_appends / _batch_setitems: one item alone, else MARK ... in 1000s. */
static int dump_items(TnState *st, Pickler *p, const TnValue *items, int64_t n, int per)
{
    int64_t step = 1000 * per;
    for (int64_t i = 0; i < n; i += step) {
        int64_t k = n - i < step ? n - i : step;
        if (k > per && pickle_op(st, p, '(') < 0)
            return -1;
        for (int64_t j = 0; j < k; j++)
            if (pickle_dump(st, p, items[i + j]) < 0)
                return -1;
        uint8_t op = per == 1 ? (k > 1 ? 'e' : 'a') : (k > per ? 'u' : 's');
        if (pickle_op(st, p, op) < 0)
            return -1;
    }
    return 0;
}

static int dump_list(TnState *st, Pickler *p, TnValue v)
{
    if (pickle_op(st, p, ']') < 0 || memoize(st, p, id_key(v), v) < 0)
        return -1;
    TnValue copy = list_from_array(st, AS_LIST(v)->items, AS_LIST(v)->n);
    if (IS_UNDEF(copy))
        return -1;
    int rc = dump_items(st, p, AS_LIST(copy)->items, AS_LIST(copy)->n, 1);
    tn_decref(copy);
    return rc;
}

static int dump_dict(TnState *st, Pickler *p, TnValue v)
{
    bool od = AS_OBJ(v)->type == &tn_ordereddict_type;
    if (od ? pickle_empty_ordereddict(st, p) < 0 : pickle_op(st, p, '}') < 0)
        return -1;
    if (memoize(st, p, id_key(v), v) < 0)
        return -1;
    TnDict *d = AS_DICT(v);
    TnValue flat = list_new(st, 0);
    if (IS_UNDEF(flat))
        return -1;
    int64_t pos = 0;
    TnValue k, val;
    int rc = 0;
    while (rc == 0 && dict_next(d, &pos, &k, &val))
        rc = list_append(st, AS_LIST(flat), k) < 0 || list_append(st, AS_LIST(flat), val) < 0 ? -1 : 0;
    if (rc == 0)
        rc = dump_items(st, p, AS_LIST(flat)->items, AS_LIST(flat)->n, 2);
    tn_decref(flat);
    return rc;
}

static int dump_container(TnState *st, Pickler *p, TnValue v)
{
    if (IS_TUPLE(v))
        return dump_tuple(st, p, v);
    int rc = memo_get(st, p, id_key(v));
    if (rc)
        return rc < 0 ? -1 : 0;
    return IS_LIST(v) ? dump_list(st, p, v) : dump_dict(st, p, v);
}

int pickle_dump(TnState *st, Pickler *p, TnValue v)
{
    switch (v.tag) {
    case V_NONE: return pickle_op(st, p, 'N');
    case V_BOOL: return pickle_op(st, p, AS_BOOL(v) ? 0x88 : 0x89);
    case V_INT: return dump_int(st, p, AS_INT(v));
    case V_FLOAT: return dump_float(st, p, AS_FLOAT(v));
    default: break;
    }
    if (IS_STR(v))
        return dump_str(st, p, v);
    if (IS_TENSOR(v)) {
        int rc = memo_get(st, p, id_key(v));
        if (rc)
            return rc < 0 ? -1 : 0;
        if (p->tensor(st, p, AS_TENSOR(v)) < 0)
            return -1;
        return memoize(st, p, id_key(v), v);
    }
    if (!IS_TUPLE(v) && !IS_LIST(v) && !IS_DICT(v) && !IS_TYPEOF(v, &tn_ordereddict_type))
        return tn_raise_int(st, tn_TypeError, "cannot pickle '%s' object", tn_type_name(v));
    if (tn_recursion_enter(st, " while pickling an object") < 0)
        return -1;
    int rc = dump_container(st, p, v);
    tn_recursion_leave(st);
    return rc;
}

void pickler_free(Pickler *p)
{
    buf_free(&p->out);
    tn_obj_decref(p->memo);
    tn_obj_decref(p->keep);
    p->memo = NULL;
    p->keep = NULL;
}
