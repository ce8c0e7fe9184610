/* autograd.c: the autograd engine — graph nodes, saved tensors, hooks, the backward pass.
 *
 * This file knows no op. A backward pass (autograd_run) works in three steps:
 *   1. collect every node reachable from the roots, counting for each how many
 *      edges lead to it (its dependencies), in a hash table built per pass;
 *   2. for torch.autograd.grad, mark which nodes lead to a requested input, so
 *      only those run and no leaf accumulates;
 *   3. run nodes whose dependencies are all satisfied, latest created first (a
 *      heap on the creation number, leaves first of all), as PyTorch's engine
 *      does, so hooks fire in PyTorch's order. A node's incoming gradients are
 *      summed per output, its tensor hooks and retain_grad run, its formula gives
 *      the inputs' gradients, which are reduced to each input's shape (the one
 *      shared sum_to for broadcasting), cast to its dtype and summed into the
 *      next node's buffer, or accumulated into a leaf's .grad.
 * Nothing here loops over elements: every tensor operation goes through op_*.
 */
#include "autograd.h"
#include "grad.h"
#include "module.h"
#include "tensor_types.h"
#include "types.h"
#include <stdio.h>
#include <string.h>

bool autograd_enabled_flag = true;
bool autograd_graph_flag;
static uint64_t node_seq;

/* ------------------------------------------------------------------ nodes */

/* Graphs can be long chains (a loss summed over many steps): freeing one must not
 * recurse once per node, so nodes whose count drops to zero while another is being
 * freed wait on this stack. */
static TnGradFn **dying;
static int64_t ndying, capdying;
static bool freeing;

static void node_clear(TnGradFn *n)
{
    for (int i = 0; i < n->nin; i++) {
        tn_obj_decref(n->next[i].fn);
        tn_obj_decref(n->next[i].leaf);
    }
    for (int k = 0; k < n->nsaved; k++)
        tn_obj_decref(n->saved[k].t);
    if (n->hooks) {
        for (int i = 0; i < n->nout; i++)
            tn_decref(n->hooks[i]);
        tn_free(n->hooks);
    }
    if (n->retain) {
        for (int i = 0; i < n->nout; i++)
            if (n->retain[i])
                n->retain[i]->retains_grad = false;
        tn_free(n->retain);
    }
    tn_decref(n->aux);
    tn_decref(n->post);
    tn_free_object(n);
}

/* Nodes have no clear slot: a cycle through a graph (a hook that captures the tensor
 * it is registered on) goes through the hook dict, whose clear breaks it. The retain
 * pointers are weak and not reported. */
void autograd_node_traverse(TnObject *o, TnVisit visit, void *arg)
{
    TnGradFn *n = (TnGradFn *)o;
    for (int i = 0; i < n->nin; i++) {
        tn_visit_obj(n->next[i].fn, visit, arg);
        tn_visit_obj(n->next[i].leaf, visit, arg);
    }
    for (int k = 0; k < n->nsaved; k++)
        tn_visit_obj(n->saved[k].t, visit, arg);
    if (n->hooks)
        for (int i = 0; i < n->nout; i++)
            tn_visit(n->hooks[i], visit, arg);
    tn_visit(n->aux, visit, arg);
    tn_visit(n->post, visit, arg);
}

void autograd_node_dealloc(TnObject *o)
{
    TnGradFn *n = (TnGradFn *)o;
    if (freeing) {
        if (ndying == capdying) {
            int64_t ncap = capdying ? capdying * 2 : 256;
            TnGradFn **nd = tn_realloc(dying, (size_t)ncap * sizeof *nd);
            if (!nd) {
                node_clear(n); /* out of memory: recurse instead */
                return;
            }
            dying = nd;
            capdying = ncap;
        }
        dying[ndying++] = n;
        return;
    }
    freeing = true;
    node_clear(n);
    while (ndying)
        node_clear(dying[--ndying]);
    freeing = false;
}

TnValue autograd_node_repr(TnState *st, TnValue self)
{
    return tn_str_fmt(st, "<%s object at %p>", AS_OBJ(self)->type->name, (void *)AS_OBJ(self));
}

TnGradFn *autograd_node_new(TnState *st, TnNodeKind *kind, int nin, int nout, int nsaved,
                            int narg)
{
    if (TN_UNLIKELY(!kind->type.dict) && type_ready(st, &kind->type) < 0)
        return NULL;
    size_t sz = sizeof(TnGradFn) + (size_t)narg * sizeof(TnNodeArg) +
                (size_t)nin * sizeof(TnEdge) + (size_t)nout * sizeof(TnMeta) +
                (size_t)nsaved * sizeof(TnSaved);
    TnGradFn *n = tn_alloc_object(st, &kind->type, sz);
    if (!n)
        return NULL;
    n->seq = ++node_seq;
    n->nin = nin;
    n->nout = nout;
    n->nsaved = nsaved;
    n->narg = narg;
    n->aux = tn_undef();
    n->post = tn_undef();
    char *p = (char *)(n->arg + narg);
    n->next = (TnEdge *)p;
    p += (size_t)nin * sizeof(TnEdge);
    n->meta = (TnMeta *)p;
    p += (size_t)nout * sizeof(TnMeta);
    n->saved = (TnSaved *)p;
    return n;
}

int autograd_node_set_kind(TnState *st, TnGradFn *n, TnNodeKind *kind)
{
    if (TN_UNLIKELY(!kind->type.dict) && type_ready(st, &kind->type) < 0)
        return -1;
    n->head.type = &kind->type;
    return 0;
}

void autograd_node_set_input(TnGradFn *n, int i, TnTensor *t)
{
    TnEdge *e = &n->next[i];
    if (!t || !t->requires_grad)
        return;
    if (t->grad_fn) {
        e->fn = t->grad_fn;
        e->nr = t->output_nr;
        tn_obj_incref(e->fn);
    } else {
        e->leaf = t;
        tn_obj_incref(t);
    }
}

static void meta_of(TnMeta *m, const TnTensor *t)
{
    m->dtype = t->dtype;
    m->ndim = t->ndim;
    memcpy(m->sizes, t->sizes, (size_t)t->ndim * sizeof(int64_t));
}

static const TnMeta *edge_meta(const TnEdge *e, TnMeta *tmp)
{
    if (e->fn)
        return &e->fn->meta[e->nr];
    meta_of(tmp, e->leaf);
    return tmp;
}

const TnMeta *autograd_input_meta(const TnGradFn *n, int i, TnMeta *tmp)
{
    return edge_meta(&n->next[i], tmp);
}

int autograd_set_output(TnState *st, TnGradFn *n, int nr, TnTensor *out)
{
    TnGradFn *old = out->grad_fn;
    int oldnr = out->output_nr;
    meta_of(&n->meta[nr], out);
    tn_obj_incref(n);
    out->grad_fn = n;
    out->output_nr = nr;
    out->requires_grad = true;
    if (old) {
        /* An in-place op gave `out` a new history: retain_grad follows it. */
        if (out->retains_grad && old->retain && old->retain[oldnr] == out) {
            old->retain[oldnr] = NULL;
            if (!n->retain) {
                n->retain = tn_calloc((size_t)n->nout, sizeof(TnTensor *));
                if (!n->retain) {
                    out->retains_grad = false;
                    tn_obj_decref(old);
                    return (void)tn_no_memory(st), -1;
                }
            }
            n->retain[nr] = out;
        }
        tn_obj_decref(old);
    }
    return 0;
}

void autograd_save(TnGradFn *n, int k, TnTensor *t)
{
    TnSaved *s = &n->saved[k];
    tn_obj_incref(t);
    s->t = t;
    s->version = t->storage->version;
    s->of = NULL; /* named when the error is raised: by the tensor's history then */
    s->of_nr = 0;
}

void autograd_saved_before(TnGradFn *n, const TnTensor *self, int64_t version)
{
    for (int k = 0; k < n->nsaved; k++) {
        TnSaved *s = &n->saved[k];
        if (s->t && !s->of && s->t->storage == self->storage)
            s->version = version;
    }
}

int autograd_save_output(TnState *st, TnGradFn *n, int k, TnTensor *out)
{
    TnTensor *a = tensor_alias(st, out, out->ndim, out->sizes, out->strides, out->offset);
    if (!a)
        return -1;
    TnSaved *s = &n->saved[k];
    s->t = a;
    s->version = out->storage->version;
    s->of = NODE_NAME(n);
    s->of_nr = out->output_nr;
    return 0;
}

/* Tensors made while a formula runs that must live until it ends (see below). */
static TnTensor **unpacked;
static int nunpacked, capunpacked;

static void release_unpacked(void)
{
    while (nunpacked)
        tn_obj_decref(unpacked[--nunpacked]);
}

/* Under create_graph a saved output must carry its history (the node itself), so
 * that what the formula computes from it can be differentiated again, as PyTorch's
 * unpacking does. The node cannot own such a tensor (a cycle): the alias lives in
 * `unpacked` until the formula has run. */
static TnTensor *saved_with_history(TnState *st, TnGradFn *n, TnSaved *s)
{
    if (nunpacked == capunpacked) {
        int ncap = capunpacked ? capunpacked * 2 : 16;
        TnTensor **nu = tn_realloc(unpacked, (size_t)ncap * sizeof *nu);
        if (!nu)
            return tn_no_memory(st), NULL;
        unpacked = nu;
        capunpacked = ncap;
    }
    TnTensor *a = tensor_alias(st, s->t, s->t->ndim, s->t->sizes, s->t->strides, s->t->offset);
    if (!a)
        return NULL;
    tn_obj_incref(n);
    a->grad_fn = n;
    a->output_nr = s->of_nr;
    a->requires_grad = true;
    unpacked[nunpacked++] = a;
    return a;
}

static const char freed_msg[] =
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward.";

TnTensor *autograd_saved(TnState *st, TnGradFn *n, int k)
{
    if (n->freed)
        return tn_raise_ptr(st, tn_RuntimeError, "%s", freed_msg);
    TnSaved *s = &n->saved[k];
    if (!s->t)
        return tn_raise_ptr(st, tn_RuntimeError, "%s: saved tensor %d was not recorded",
                            NODE_NAME(n), k);
    if (s->t->storage->version != s->version) {
        char shp[TN_SHAPE_STR], of[128] = "";
        /* an input is described by its history now, as PyTorch does (x.mul_(x) names
           MulBackward0); an output by the node that saved it */
        const char *name = s->of ? s->of : autograd_node_name(s->t);
        if (name)
            snprintf(of, sizeof of, ", which is output %d of %s,",
                     s->of ? s->of_nr : s->t->output_nr, name);
        return tn_raise_ptr(st, tn_RuntimeError,
                            "one of the variables needed for gradient computation has been "
                            "modified by an inplace operation: [torch.%sTensor %s]%s is at "
                            "version %lld; expected version %lld instead. Hint: enable anomaly "
                            "detection to find the operation that failed to compute its "
                            "gradient, with torch.autograd.set_detect_anomaly(True).",
                            tn_dtype_info[s->t->dtype].cname,
                            shape_str(shp, s->t->ndim, s->t->sizes), of,
                            (long long)s->t->storage->version, (long long)s->version);
    }
    if (autograd_graph_flag && s->of && s->t->grad_fn != n)
        return saved_with_history(st, n, s);
    return s->t;
}

static void release_saved(TnGradFn *n)
{
    if (!n->nsaved)
        return;
    for (int k = 0; k < n->nsaved; k++) {
        tn_obj_decref(n->saved[k].t);
        n->saved[k].t = NULL;
    }
    n->freed = true;
}

/* ------------------------------------------------------------ tensor side */

const char *autograd_node_name(TnTensor *t)
{
    return t->grad_fn ? NODE_NAME(t->grad_fn) : NULL;
}

void autograd_release(TnTensor *t)
{
    TnGradFn *n = t->grad_fn;
    if (!n)
        return;
    if (n->retain && n->retain[t->output_nr] == t)
        n->retain[t->output_nr] = NULL;
    t->grad_fn = NULL;
    tn_obj_decref(n);
}

void autograd_detach_(TnTensor *t)
{
    autograd_release(t);
    t->requires_grad = false;
    t->retains_grad = false;
}

TnTensor *autograd_detach(TnState *st, TnTensor *t)
{
    return tensor_alias(st, t, t->ndim, t->sizes, t->strides, t->offset);
}

static bool is_view_of_leaf(TnTensor *t)
{
    for (TnValue b = t->base; IS_TENSOR(b); b = AS_TENSOR(b)->base)
        if (!AS_TENSOR(b)->grad_fn && AS_TENSOR(b)->requires_grad)
            return true;
    return false;
}

int autograd_check_inplace(TnState *st, TnTensor *self)
{
    if (!autograd_enabled_flag || !self->requires_grad)
        return 0;
    if (!self->grad_fn)
        return tn_raise_int(st, tn_RuntimeError,
                            "a leaf Variable that requires grad is being used in an in-place "
                            "operation.");
    if (is_view_of_leaf(self))
        return tn_raise_int(st, tn_RuntimeError,
                            "a view of a leaf Variable that requires grad is being used in an "
                            "in-place operation.");
    return 0;
}

/* The dict of hooks for t: the tensor's own for a leaf, its node's for an output. */
static TnValue *hook_slot(TnState *st, TnTensor *t)
{
    TnGradFn *n = t->grad_fn;
    if (!n)
        return &t->hooks;
    if (!n->hooks) {
        n->hooks = tn_malloc((size_t)n->nout * sizeof(TnValue));
        if (!n->hooks)
            return tn_no_memory(st), NULL;
        for (int i = 0; i < n->nout; i++)
            n->hooks[i] = tn_undef();
    }
    return &n->hooks[t->output_nr];
}

TnValue autograd_register_hook(TnState *st, TnTensor *t, TnValue fn)
{
    if (!t->requires_grad)
        return tn_raise(st, tn_RuntimeError,
                        "cannot register a hook on a tensor that doesn't require gradient");
    TnValue *slot = hook_slot(st, t);
    if (!slot)
        return tn_undef();
    if (!IS_DICT(*slot)) {
        TnValue d = dict_new(st);
        if (IS_UNDEF(d))
            return d;
        tn_decref(*slot);
        *slot = d;
    }
    int64_t id = module_next_hook_id();
    if (dict_set(st, AS_DICT(*slot), tn_int(id), fn) < 0)
        return tn_undef();
    return module_handle_new(st, AS_DICT(*slot), id);
}

int autograd_retain_grad(TnState *st, TnTensor *t)
{
    if (!t->requires_grad)
        return tn_raise_int(st, tn_RuntimeError,
                            "can't retain_grad on Tensor that has requires_grad=False");
    TnGradFn *n = t->grad_fn;
    if (!n || t->retains_grad)
        return 0; /* a leaf keeps its .grad anyway */
    if (!n->retain) {
        n->retain = tn_calloc((size_t)n->nout, sizeof(TnTensor *));
        if (!n->retain)
            return (void)tn_no_memory(st), -1;
    }
    n->retain[t->output_nr] = t;
    t->retains_grad = true;
    TnValue h = n->hooks ? n->hooks[t->output_nr] : tn_undef();
    if (t->output_nr < 64 && !(IS_DICT(h) && AS_DICT(h)->n))
        n->retain_first |= 1ull << t->output_nr;
    return 0;
}

/* ------------------------------------------------------------- gradients */

static bool same_shape(int na, const int64_t *a, int nb, const int64_t *b)
{
    return na == nb && memcmp(a, b, (size_t)na * sizeof(int64_t)) == 0;
}

/* Can a tensor of shape (ns, s) be expanded to (ng, g)? */
static bool expandable(int ns, const int64_t *s, int ng, const int64_t *g)
{
    if (ns > ng)
        return false;
    for (int d = 0; d < ns; d++) {
        int64_t a = s[ns - 1 - d], b = g[ng - 1 - d];
        if (a != b && a != 1)
            return false;
    }
    return true;
}

TnTensor *autograd_sum_to(TnState *st, TnTensor *g, int nd, const int64_t *sizes)
{
    if (same_shape(g->ndim, g->sizes, nd, sizes)) {
        tn_obj_incref(g);
        return g;
    }
    int lead = g->ndim - nd;
    uint32_t mask = 0;
    for (int d = 0; d < g->ndim; d++)
        if (d < lead || (sizes[d - lead] == 1 && g->sizes[d] != 1))
            mask |= 1u << d;
    TnTensor *r = g;
    tn_obj_incref(g);
    if (mask) {
        r = g_sum(st, g, mask, true);
        tn_obj_decref(g);
        if (!r)
            return NULL;
    }
    TnTensor *v = g_reshape(st, r, nd, sizes);
    tn_obj_decref(r);
    return v;
}

/* Makes g fit the input it is for: reduced over broadcast dims and cast. Steals g. */
static TnTensor *fit_grad(TnState *st, TnGradFn *n, int i, TnTensor *g, const TnMeta *m)
{
    if (!same_shape(g->ndim, g->sizes, m->ndim, m->sizes)) {
        if (!expandable(m->ndim, m->sizes, g->ndim, g->sizes)) {
            char a[TN_SHAPE_STR], b[TN_SHAPE_STR];
            tn_raise(st, tn_RuntimeError,
                     "Function %s returned an invalid gradient at index %d - got %s but "
                     "expected shape compatible with %s",
                     NODE_NAME(n), i, shape_str(a, g->ndim, g->sizes),
                     shape_str(b, m->ndim, m->sizes));
            tn_obj_decref(g);
            return NULL;
        }
        TnTensor *r = autograd_sum_to(st, g, m->ndim, m->sizes);
        tn_obj_decref(g);
        if (!r)
            return NULL;
        g = r;
    }
    if (g->dtype != m->dtype) {
        TnValue dt = dtype_value(m->dtype);
        TnTensor *r = autograd_graph_flag && g->requires_grad ? g_method(st, g, "to", &dt, 1)
                                                              : tensor_to(st, g, m->dtype);
        tn_obj_decref(g);
        g = r;
    }
    return g;
}

/* *buf += g (out of place: either may be seen elsewhere). Steals g. */
static int add_into(TnState *st, TnTensor **buf, TnTensor *g)
{
    if (!*buf) {
        *buf = g;
        return 0;
    }
    TnTensor *s = g_bin(st, BOP_ADD, *buf, g);
    tn_obj_decref(g);
    if (!s)
        return -1;
    tn_obj_decref(*buf);
    *buf = s;
    return 0;
}

/* A fresh gradient no one else sees can become .grad as is (PyTorch steals it too). */
static bool stealable(TnTensor *g)
{
    return g->head.refcnt == 1 && g->storage->head.refcnt == 1 && g->offset == 0 &&
           !g->requires_grad && tensor_is_contiguous(g) &&
           g->storage->nbytes == tensor_numel(g) * DT_SIZE(g->dtype);
}

/* create_graph: .grad becomes a differentiable function of the graph. A first gradient
 * is copied into a fresh tensor (CopyBackwards, as PyTorch's clone), a later one added
 * out of place (AddBackward0). */
static int accumulate_graph(TnState *st, TnTensor *leaf, TnTensor *g)
{
    TnTensor *r;
    if (leaf->grad) {
        r = g_bin(st, BOP_ADD, leaf->grad, g);
    } else {
        if (!(r = tensor_empty(st, g->dtype, g->ndim, g->sizes)))
            return -1;
        TnValue src = tn_obj(g);
        TnTensor *c = g_method(st, r, "copy_", &src, 1);
        if (!c) {
            tn_obj_decref(r);
            return -1;
        }
        tn_obj_decref(c);
    }
    if (!r)
        return -1;
    tn_obj_decref(leaf->grad);
    leaf->grad = r;
    return 0;
}

static int accumulate(TnState *st, TnTensor *leaf, TnTensor *g)
{
    if (autograd_graph_flag)
        return accumulate_graph(st, leaf, g);
    if (!leaf->grad) {
        if (stealable(g)) {
            tn_obj_incref(g);
            leaf->grad = g;
            return 0;
        }
        leaf->grad = tensor_clone(st, g);
        return leaf->grad ? 0 : -1;
    }
    TnTensor *r = op_binary_(st, BOP_ADD, leaf->grad, (TnOperand){g, tn_undef()});
    if (!r)
        return -1;
    tn_obj_decref(r);
    return 0;
}

static int retain_into(TnState *st, TnTensor *t, TnTensor *g)
{
    TnTensor *r = t->grad ? g_bin(st, BOP_ADD, t->grad, g) : tensor_clone(st, g);
    if (!r)
        return -1;
    tn_obj_decref(t->grad);
    t->grad = r;
    return 0;
}

/* Runs the hooks of one tensor on *g (replacing it when a hook returns a tensor). */
static int run_hooks(TnState *st, TnValue hooks, TnTensor **g)
{
    if (!IS_DICT(hooks) || !AS_DICT(hooks)->n)
        return 0;
    /* A hook may remove hooks: iterate over a snapshot. */
    TnValue fns = list_new(st, 0);
    if (IS_UNDEF(fns))
        return -1;
    int64_t pos = 0;
    TnValue k, v;
    while (dict_next(AS_DICT(hooks), &pos, &k, &v))
        if (list_append(st, AS_LIST(fns), v) < 0)
            goto fail;
    for (int64_t i = 0; i < AS_LIST(fns)->n; i++) {
        TnValue fn = AS_LIST(fns)->items[i];
        TnValue arg = tn_obj(*g);
        TnValue r = tn_call(st, fn, &arg, 1, NULL, 0);
        if (IS_UNDEF(r))
            goto fail;
        if (IS_NONE(r))
            continue;
        if (!IS_TENSOR(r)) {
            tn_raise(st, tn_TypeError, "expected Variable, but hook returned '%s'",
                     tn_type_name(r));
            tn_decref(r);
            goto fail;
        }
        TnTensor *nt = AS_TENSOR(r);
        if (!same_shape(nt->ndim, nt->sizes, (*g)->ndim, (*g)->sizes) ||
            nt->dtype != (*g)->dtype) {
            TnValue name = tn_getattr_opt(st, fn, str_intern("__name__"));
            const char *nm = IS_STR(name) ? AS_STR(name)->data : "hook";
            if (nt->dtype != (*g)->dtype && same_shape(nt->ndim, nt->sizes, (*g)->ndim,
                                                       (*g)->sizes))
                tn_raise(st, tn_RuntimeError,
                         "hook '%s' has changed the type of value (was torch.%sTensor got "
                         "torch.%sTensor)",
                         nm, tn_dtype_info[(*g)->dtype].cname, tn_dtype_info[nt->dtype].cname);
            else
                tn_raise(st, tn_RuntimeError, "hook '%s' has changed the size of value", nm);
            tn_decref(name);
            tn_decref(r);
            goto fail;
        }
        tn_obj_decref(*g);
        *g = nt;
    }
    tn_decref(fns);
    return 0;
fail:
    tn_decref(fns);
    return -1;
}

/* ------------------------------------------------------------------ engine */

/* One node (or leaf) of a backward pass. */
typedef struct Task {
    TnGradFn *fn;    /* NULL for a leaf */
    TnTensor *leaf;
    int deps;        /* edges from tasks that have not run yet */
    bool exec;       /* run the formula (autograd.grad: leads to an input) */
    bool target;     /* some output is a requested input */
    TnTensor **buf;  /* [nout] (1 for a leaf): summed incoming gradients */
    TnTensor *buf1;
} Task;

typedef struct Capture {
    void *key;
    int nr;
    TnTensor *grad; /* owned */
    bool reached;
} Capture;

typedef struct Pass {
    Task *tasks;
    int64_t ntasks, captasks;
    int64_t *index; /* open addressing: task number + 1, 0 = empty */
    int64_t nindex;
    int64_t *heap;
    int64_t nheap;
    Capture *caps;
    int ncaps;
    bool accumulate, retain, create_graph;
} Pass;

static void *task_key(const Task *t)
{
    return t->fn ? (void *)t->fn : (void *)t->leaf;
}

static uint64_t ptr_hash(const void *p)
{
    uint64_t h = (uint64_t)(uintptr_t)p;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

static int64_t find_task(Pass *p, const void *key)
{
    uint64_t mask = (uint64_t)p->nindex - 1;
    for (uint64_t i = ptr_hash(key) & mask;; i = (i + 1) & mask) {
        int64_t k = p->index[i];
        if (!k)
            return -1;
        if (task_key(&p->tasks[k - 1]) == key)
            return k - 1;
    }
}

static int rehash(TnState *st, Pass *p)
{
    int64_t n = p->nindex ? p->nindex * 2 : 64;
    int64_t *ix = tn_calloc((size_t)n, sizeof(int64_t));
    if (!ix)
        return (void)tn_no_memory(st), -1;
    tn_free(p->index);
    p->index = ix;
    p->nindex = n;
    uint64_t mask = (uint64_t)n - 1;
    for (int64_t k = 0; k < p->ntasks; k++) {
        uint64_t i = ptr_hash(task_key(&p->tasks[k])) & mask;
        while (ix[i])
            i = (i + 1) & mask;
        ix[i] = k + 1;
    }
    return 0;
}

/* The task for an edge's target, made on first sight (*isnew set). -1 on error. */
static int64_t get_task(TnState *st, Pass *p, TnGradFn *fn, TnTensor *leaf, bool *isnew)
{
    void *key = fn ? (void *)fn : (void *)leaf;
    *isnew = false;
    if (p->nindex) {
        int64_t k = find_task(p, key);
        if (k >= 0)
            return k;
    }
    if (p->ntasks == p->captasks) {
        int64_t ncap = p->captasks ? p->captasks * 2 : 32;
        Task *nt = tn_realloc(p->tasks, (size_t)ncap * sizeof(Task));
        if (!nt)
            return (void)tn_no_memory(st), -1;
        p->tasks = nt;
        p->captasks = ncap;
    }
    if ((p->ntasks + 1) * 2 > p->nindex && rehash(st, p) < 0)
        return -1;
    Task *t = &p->tasks[p->ntasks];
    memset(t, 0, sizeof *t);
    t->fn = fn;
    t->leaf = leaf;
    int nout = fn ? fn->nout : 1;
    if (nout > 1) {
        t->buf = tn_calloc((size_t)nout, sizeof(TnTensor *));
        if (!t->buf)
            return (void)tn_no_memory(st), -1;
    }
    uint64_t mask = (uint64_t)p->nindex - 1, i = ptr_hash(key) & mask;
    while (p->index[i])
        i = (i + 1) & mask;
    p->index[i] = p->ntasks + 1;
    *isnew = true;
    return p->ntasks++;
}

static TnTensor **task_buf(Task *t)
{
    return t->buf ? t->buf : &t->buf1;
}

static uint64_t prio(const Pass *p, int64_t k)
{
    const Task *t = &p->tasks[k];
    return t->fn ? t->fn->seq : UINT64_MAX;
}

static void heap_push(Pass *p, int64_t k)
{
    int64_t i = p->nheap++;
    p->heap[i] = k;
    while (i > 0) {
        int64_t up = (i - 1) / 2;
        if (prio(p, p->heap[up]) >= prio(p, p->heap[i]))
            break;
        int64_t tmp = p->heap[up];
        p->heap[up] = p->heap[i];
        p->heap[i] = tmp;
        i = up;
    }
}

static int64_t heap_pop(Pass *p)
{
    int64_t top = p->heap[0];
    p->heap[0] = p->heap[--p->nheap];
    int64_t i = 0;
    for (;;) {
        int64_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < p->nheap && prio(p, p->heap[l]) > prio(p, p->heap[m]))
            m = l;
        if (r < p->nheap && prio(p, p->heap[r]) > prio(p, p->heap[m]))
            m = r;
        if (m == i)
            break;
        int64_t tmp = p->heap[m];
        p->heap[m] = p->heap[i];
        p->heap[i] = tmp;
        i = m;
    }
    return top;
}

static void pass_free(Pass *p)
{
    for (int64_t k = 0; k < p->ntasks; k++) {
        Task *t = &p->tasks[k];
        int nout = t->fn ? t->fn->nout : 1;
        TnTensor **b = task_buf(t);
        for (int i = 0; i < nout; i++)
            tn_obj_decref(b[i]);
        tn_free(t->buf);
    }
    tn_free(p->tasks);
    tn_free(p->index);
    tn_free(p->heap);
}

/* Steps 1 and 2: every task reachable from the first nroots tasks, with dependency
 * counts; in capture mode, which tasks must run. */
static int collect(TnState *st, Pass *p, int64_t nroots)
{
    int64_t *stack = tn_malloc((size_t)(nroots + 16) * sizeof(int64_t));
    int64_t nstack = 0, capstack = nroots + 16;
    if (!stack)
        return (void)tn_no_memory(st), -1;
    for (int64_t k = 0; k < nroots; k++)
        stack[nstack++] = k;
    while (nstack) {
        TnGradFn *fn = p->tasks[stack[--nstack]].fn;
        if (!fn)
            continue;
        for (int i = 0; i < fn->nin; i++) {
            TnEdge *e = &fn->next[i];
            if (!e->fn && !e->leaf)
                continue;
            bool isnew;
            int64_t k = get_task(st, p, e->fn, e->fn ? NULL : e->leaf, &isnew);
            if (k < 0)
                goto fail;
            p->tasks[k].deps++;
            if (!isnew)
                continue;
            if (nstack == capstack) {
                capstack *= 2;
                int64_t *ns = tn_realloc(stack, (size_t)capstack * sizeof(int64_t));
                if (!ns) {
                    tn_no_memory(st);
                    goto fail;
                }
                stack = ns;
            }
            stack[nstack++] = k;
        }
    }
    tn_free(stack);
    p->heap = tn_malloc((size_t)p->ntasks * sizeof(int64_t));
    if (!p->heap)
        return (void)tn_no_memory(st), -1;
    if (p->accumulate) {
        for (int64_t k = 0; k < p->ntasks; k++)
            p->tasks[k].exec = true;
        return 0;
    }
    /* Capture mode: a task runs when one of its edges leads to a target. Tasks in
     * topological order (Kahn), then marked from the inputs' end backwards. */
    for (int c = 0; c < p->ncaps; c++) {
        int64_t k = p->nindex ? find_task(p, p->caps[c].key) : -1;
        if (k >= 0)
            p->tasks[k].target = true;
    }
    int64_t *order = tn_malloc((size_t)p->ntasks * sizeof(int64_t));
    int *deps = tn_malloc((size_t)p->ntasks * sizeof(int));
    if (!order || !deps) {
        tn_free(order);
        tn_free(deps);
        return (void)tn_no_memory(st), -1;
    }
    int64_t no = 0;
    for (int64_t k = 0; k < p->ntasks; k++) {
        deps[k] = p->tasks[k].deps;
        if (!deps[k])
            order[no++] = k;
    }
    for (int64_t j = 0; j < no; j++) {
        TnGradFn *fn = p->tasks[order[j]].fn;
        for (int i = 0; fn && i < fn->nin; i++) {
            TnEdge *e = &fn->next[i];
            if (!e->fn && !e->leaf)
                continue;
            int64_t k = find_task(p, e->fn ? (void *)e->fn : (void *)e->leaf);
            if (--deps[k] == 0)
                order[no++] = k;
        }
    }
    for (int64_t j = no - 1; j >= 0; j--) {
        Task *t = &p->tasks[order[j]];
        for (int i = 0; t->fn && i < t->fn->nin; i++) {
            TnEdge *e = &t->fn->next[i];
            if (!e->fn && !e->leaf)
                continue;
            Task *c = &p->tasks[find_task(p, e->fn ? (void *)e->fn : (void *)e->leaf)];
            if (c->exec || c->target)
                t->exec = true;
        }
    }
    tn_free(order);
    tn_free(deps);
    return 0;
fail:
    tn_free(stack);
    return -1;
}

static void capture(Pass *p, void *key, int nr, TnTensor *g)
{
    for (int c = 0; c < p->ncaps; c++)
        if (p->caps[c].key == key && p->caps[c].nr == nr && !p->caps[c].grad) {
            tn_obj_incref(g);
            p->caps[c].grad = g;
        }
}

/* A tuple of n gradients, None where missing (borrowed items). */
static TnValue grad_tuple(TnState *st, TnTensor **g, int n)
{
    TnValue t = tuple_new(st, n);
    for (int i = 0; !IS_UNDEF(t) && i < n; i++)
        AS_TUPLE(t)->items[i] = g[i] ? (tn_obj_incref(g[i]), tn_obj(g[i])) : tn_none();
    return t;
}

/* Node post-hooks: hook(grad_inputs, grad_outputs) after the formula, with the input
 * gradients already fitted to their inputs (as PyTorch validates them first); a
 * returned tuple replaces them. 0 or -1. */
static int run_post_hooks(TnState *st, TnGradFn *n, TnTensor **gout, TnTensor **gin)
{
    for (int i = 0; i < n->nin; i++) {
        TnMeta tmp;
        TnEdge *e = &n->next[i];
        if (gin[i] && (e->fn || e->leaf) && !(gin[i] = fit_grad(st, n, i, gin[i], edge_meta(e, &tmp))))
            return -1;
    }
    TnValue fns = list_new(st, 0), go = grad_tuple(st, gout, n->nout);
    int64_t pos = 0;
    TnValue k, v;
    int rc = IS_UNDEF(fns) || IS_UNDEF(go) ? -1 : 0;
    while (rc == 0 && dict_next(AS_DICT(n->post), &pos, &k, &v))
        rc = list_append(st, AS_LIST(fns), v);
    for (int64_t h = 0; rc == 0 && h < AS_LIST(fns)->n; h++) {
        TnValue gi = grad_tuple(st, gin, n->nin);
        TnValue args[2] = {gi, go};
        TnValue r = IS_UNDEF(gi) ? gi : tn_call(st, AS_LIST(fns)->items[h], args, 2, NULL, 0);
        tn_decref(gi);
        if (IS_UNDEF(r)) {
            rc = -1;
        } else if (!IS_NONE(r)) {
            TnValue *items;
            int64_t cnt;
            if (!IS_TUPLE(r) || !tn_seq_items(r, &items, &cnt) || cnt != n->nin) {
                rc = tn_raise_int(st, tn_RuntimeError,
                                  "hook '%s' has returned an incorrect number of values (got "
                                  "%lld, but expected %d)",
                                  "hook", (long long)(IS_TUPLE(r) ? AS_TUPLE(r)->n : 1), n->nin);
            } else {
                for (int i = 0; i < n->nin; i++) {
                    tn_obj_decref(gin[i]);
                    gin[i] = IS_TENSOR(items[i]) ? AS_TENSOR(items[i]) : NULL;
                    if (gin[i])
                        tn_obj_incref(gin[i]);
                }
            }
        }
        tn_decref(r);
    }
    tn_decref(fns);
    tn_decref(go);
    return rc;
}

/* Is t zero everywhere? -1 on error. */
static int all_zero(TnState *st, TnTensor *t)
{
    TnTensor *nz = op_binary(st, BOP_NE, (TnOperand){t, tn_undef()}, (TnOperand){NULL, tn_int(0)});
    TnTensor *any = nz ? op_reduce(st, RED_ANY, nz, 0xffffffffu, false, -1, 0.0) : NULL;
    tn_obj_decref(nz);
    if (!any)
        return -1;
    int r = !tn_num_as_double(tensor_get_flat(any, 0));
    tn_obj_decref(any);
    return r;
}

/* Under create_graph, a formula whose incoming gradient has history must give
 * gradients with history too. One that lost it was computed with ops that do not
 * record (formulas not yet written with grad.h's helpers): better an error than
 * silently wrong higher derivatives. A zero gradient (sign, floor) is constant. */
static int check_graph_kept(TnState *st, TnGradFn *n, TnTensor **gout, TnTensor **gin)
{
    bool hist = false;
    for (int i = 0; i < n->nout && !hist; i++)
        hist = gout[i]->requires_grad;
    for (int i = 0; hist && i < n->nin; i++) {
        if (!gin[i] || gin[i]->requires_grad || !autograd_needs_input(n, i))
            continue;
        int z = all_zero(st, gin[i]);
        if (z < 0)
            return -1;
        if (!z)
            return tn_raise_int(st, tn_NotImplementedError,
                                "create_graph: the gradient computed by %s cannot be "
                                "differentiated again in tn",
                                NODE_NAME(n));
    }
    return 0;
}

/* Runs one task: hooks, capture, accumulation or the node's formula. */
static int run_task(TnState *st, Pass *p, Task *t)
{
    TnTensor **buf = task_buf(t);
    if (!t->fn) {
        if (!buf[0])
            return 0;
        if (run_hooks(st, t->leaf->hooks, &buf[0]) < 0)
            return -1;
        if (t->target)
            capture(p, t->leaf, 0, buf[0]);
        return p->accumulate ? accumulate(st, t->leaf, buf[0]) : 0;
    }
    TnGradFn *n = t->fn;
    bool any = false;
    for (int i = 0; i < n->nout; i++) {
        if (!buf[i])
            continue;
        any = true;
        bool first = i < 64 && (n->retain_first >> i) & 1;
        if (first && n->retain && n->retain[i] && retain_into(st, n->retain[i], buf[i]) < 0)
            return -1;
        if (n->hooks && run_hooks(st, n->hooks[i], &buf[i]) < 0)
            return -1;
        if (!first && n->retain && n->retain[i] && retain_into(st, n->retain[i], buf[i]) < 0)
            return -1;
        if (t->target)
            capture(p, n, i, buf[i]);
    }
    if (!any || !t->exec)
        return 0;
    for (int i = 0; i < n->nout; i++) {
        if (buf[i])
            continue;
        buf[i] = tensor_zeros(st, n->meta[i].dtype, n->meta[i].ndim, n->meta[i].sizes);
        if (!buf[i])
            return -1;
    }
    if (n->freed)
        return tn_raise_int(st, tn_RuntimeError, "%s", freed_msg);
    TnTensor *small[8] = {0};
    TnTensor **gin = n->nin <= 8 ? small : tn_calloc((size_t)n->nin, sizeof(TnTensor *));
    if (!gin)
        return (void)tn_no_memory(st), -1;
    int rc = NODE_KIND(n)->backward(st, n, buf, gin);
    release_unpacked();
    if (rc == 0 && autograd_graph_flag)
        rc = check_graph_kept(st, n, buf, gin);
    if (rc == 0 && IS_DICT(n->post) && AS_DICT(n->post)->n)
        rc = run_post_hooks(st, n, buf, gin);
    for (int i = 0; i < n->nin; i++) {
        TnEdge *e = &n->next[i];
        TnTensor *g = gin[i];
        gin[i] = NULL;
        if (!g)
            continue;
        if (rc < 0 || (!e->fn && !e->leaf)) {
            tn_obj_decref(g);
            continue;
        }
        TnMeta tmp;
        g = fit_grad(st, n, i, g, edge_meta(e, &tmp));
        Task *c = g ? &p->tasks[find_task(p, e->fn ? (void *)e->fn : (void *)e->leaf)] : NULL;
        if (!g || add_into(st, &task_buf(c)[e->fn ? e->nr : 0], g) < 0)
            rc = -1;
    }
    if (gin != small)
        tn_free(gin);
    if (rc == 0 && !p->retain)
        release_saved(n);
    return rc;
}

/* Runs a pass whose root tasks (0..nroots-1) already hold their gradients. */
static int run_pass(TnState *st, Pass *p, int64_t nroots)
{
    if (collect(st, p, nroots) < 0)
        return -1;
    for (int64_t k = 0; k < p->ntasks; k++)
        if (!p->tasks[k].deps)
            heap_push(p, k);
    bool was = autograd_enabled_flag, was_graph = autograd_graph_flag;
    /* hooks and formulas record nothing, unless create_graph asks them to */
    autograd_enabled_flag = autograd_graph_flag = p->create_graph;
    int rc = 0;
    while (p->nheap && rc == 0) {
        Task *t = &p->tasks[heap_pop(p)];
        rc = run_task(st, p, t);
        int nout = t->fn ? t->fn->nout : 1;
        TnTensor **b = task_buf(t);
        for (int i = 0; i < nout; i++) {
            tn_obj_decref(b[i]);
            b[i] = NULL;
        }
        for (int i = 0; rc == 0 && t->fn && i < t->fn->nin; i++) {
            TnEdge *e = &t->fn->next[i];
            if (!e->fn && !e->leaf)
                continue;
            int64_t k = find_task(p, e->fn ? (void *)e->fn : (void *)e->leaf);
            if (--p->tasks[k].deps == 0)
                heap_push(p, k);
        }
    }
    autograd_enabled_flag = was;
    autograd_graph_flag = was_graph;
    return rc;
}

/* Seeds the root tasks: one per output, holding its gradient. */
static int seed(TnState *st, Pass *p, int n, TnTensor **outputs, TnTensor **grads,
                int64_t *nroots)
{
    for (int i = 0; i < n; i++) {
        TnTensor *o = outputs[i];
        if (!o->requires_grad)
            return tn_raise_int(st, tn_RuntimeError,
                                "element %d of tensors does not require grad and does not have "
                                "a grad_fn",
                                i);
        TnTensor *g = grads ? grads[i] : NULL;
        if (g) {
            if (!same_shape(g->ndim, g->sizes, o->ndim, o->sizes)) {
                char a[TN_SHAPE_STR], b[TN_SHAPE_STR];
                return tn_raise_int(st, tn_RuntimeError,
                                    "Mismatch in shape: grad_output[%d] has a shape of "
                                    "torch.Size(%s) and output[%d] has a shape of "
                                    "torch.Size(%s).",
                                    i, shape_str(a, g->ndim, g->sizes), i,
                                    shape_str(b, o->ndim, o->sizes));
            }
            g = tensor_to(st, g, o->dtype);
        } else {
            if (tensor_numel(o) != 1)
                return tn_raise_int(st, tn_RuntimeError,
                                    "grad can be implicitly created only for scalar outputs");
            g = tensor_full(st, o->dtype, o->ndim, o->sizes, tn_int(1));
        }
        if (!g)
            return -1;
        bool isnew;
        int64_t k = get_task(st, p, o->grad_fn, o->grad_fn ? NULL : o, &isnew);
        if (k < 0 || add_into(st, &task_buf(&p->tasks[k])[o->grad_fn ? o->output_nr : 0], g) < 0) {
            if (k < 0)
                tn_obj_decref(g);
            return -1;
        }
    }
    *nroots = p->ntasks;
    return 0;
}

int autograd_backward(TnState *st, int n, TnTensor **outputs, TnTensor **grads,
                      bool retain_graph, bool create_graph)
{
    Pass p = {0};
    p.accumulate = true;
    p.retain = retain_graph;
    p.create_graph = create_graph;
    int64_t nroots;
    int rc = seed(st, &p, n, outputs, grads, &nroots);
    if (rc == 0)
        rc = run_pass(st, &p, nroots);
    pass_free(&p);
    return rc;
}

int autograd_grad(TnState *st, int n, TnTensor **outputs, TnTensor **grads, int ninputs,
                  TnTensor **inputs, bool retain_graph, bool create_graph, bool allow_unused,
                  TnTensor **result)
{
    Pass p = {0};
    p.retain = retain_graph;
    p.create_graph = create_graph;
    p.caps = tn_calloc((size_t)(ninputs ? ninputs : 1), sizeof(Capture));
    if (!p.caps)
        return (void)tn_no_memory(st), -1;
    p.ncaps = ninputs;
    int rc = 0;
    for (int i = 0; i < ninputs && rc == 0; i++) {
        TnTensor *x = inputs[i];
        if (!x->requires_grad)
            rc = tn_raise_int(st, tn_RuntimeError,
                              "One of the differentiated Tensors does not require grad");
        p.caps[i].key = x->grad_fn ? (void *)x->grad_fn : (void *)x;
        p.caps[i].nr = x->grad_fn ? x->output_nr : 0;
    }
    int64_t nroots;
    if (rc == 0)
        rc = seed(st, &p, n, outputs, grads, &nroots);
    if (rc == 0)
        rc = run_pass(st, &p, nroots);
    for (int i = 0; i < ninputs; i++) {
        result[i] = p.caps[i].grad;
        if (rc == 0 && !result[i] && !allow_unused)
            rc = tn_raise_int(st, tn_RuntimeError,
                              "One of the differentiated Tensors appears to not have been used "
                              "in the graph. Set allow_unused=True if this is the desired "
                              "behavior.");
    }
    if (rc < 0)
        for (int i = 0; i < ninputs; i++) {
            tn_obj_decref(result[i]);
            result[i] = NULL;
        }
    tn_free(p.caps);
    pass_free(&p);
    return rc;
}

/* ------------------------------------------------------ node attributes */

static TnNodeKind AccumulateGrad;

static TnValue node_name_m(TnState *st, TnValue *a)
{
    /* PyTorch names the C++ leaf node with its namespace; its repr says AccumulateGrad */
    if (AS_OBJ(a[0])->type == &AccumulateGrad.type)
        return tn_str(st, "torch::autograd::AccumulateGrad");
    return tn_str(st, AS_OBJ(a[0])->type->name);
}

/* grad_fn.register_hook(fn): fn(grad_inputs, grad_outputs) runs after the node's
 * formula; returns a handle whose remove() detaches it. */
static TnValue node_register_hook_m(TnState *st, TnValue *a)
{
    TnGradFn *n = (TnGradFn *)AS_OBJ(a[0]);
    if (!IS_DICT(n->post)) {
        TnValue d = dict_new(st);
        if (IS_UNDEF(d))
            return d;
        n->post = d;
    }
    int64_t id = module_next_hook_id();
    if (dict_set(st, AS_DICT(n->post), tn_int(id), a[1]) < 0)
        return tn_undef();
    return module_handle_new(st, AS_DICT(n->post), id);
}

const TnMethodDef autograd_node_methods[] = {
    {"name", node_name_m, "name(self)", NULL, "The name of the node (its backward op)."},
    {"register_hook", node_register_hook_m, "register_hook(self, fn)", NULL,
     "Runs fn(grad_inputs, grad_outputs) after this node's backward."},
    {NULL},
};

/* AccumulateGrad nodes exist only for display: next_functions shows one per leaf
 * edge (its aux is the leaf). */
static int accumulate_grad_backward(TnState *st, TnGradFn *n, TnTensor **gout, TnTensor **gin)
{
    return 0;
}
static TN_NODE_KIND(AccumulateGrad, "AccumulateGrad", accumulate_grad_backward);

static TnValue node_next_functions(TnState *st, TnValue self)
{
    TnGradFn *n = (TnGradFn *)AS_OBJ(self);
    TnValue r = tuple_new(st, n->nin);
    for (int i = 0; !IS_UNDEF(r) && i < n->nin; i++) {
        TnEdge *e = &n->next[i];
        TnValue fn = tn_none();
        if (e->fn) {
            tn_obj_incref(e->fn);
            fn = tn_obj(e->fn);
        } else if (e->leaf) {
            TnGradFn *acc = autograd_node_new(st, &AccumulateGrad, 0, 0, 0, 0);
            if (!acc) {
                tn_decref(r);
                return tn_undef();
            }
            tn_obj_incref(e->leaf);
            acc->aux = tn_obj(e->leaf);
            fn = tn_obj(acc);
        }
        TnValue pair = tuple_pack(st, 2, fn, tn_int(e->fn ? e->nr : 0));
        tn_decref(fn);
        if (IS_UNDEF(pair)) {
            tn_decref(r);
            return pair;
        }
        tuple_set(r, i, pair);
    }
    return r;
}

static TnValue node_variable(TnState *st, TnValue self)
{
    TnGradFn *n = (TnGradFn *)AS_OBJ(self);
    if (IS_TENSOR(n->aux) && AS_OBJ(self)->type == &AccumulateGrad.type)
        return tn_ref(n->aux);
    return tn_raise(st, tn_AttributeError, "'%s' object has no attribute 'variable'",
                    AS_OBJ(self)->type->name);
}

const TnGetSetDef autograd_node_getset[] = {
    {"next_functions", node_next_functions, NULL, NULL},
    {"variable", node_variable, NULL, NULL},
    {NULL},
};
