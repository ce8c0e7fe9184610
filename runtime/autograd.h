/* autograd.h: reverse-mode automatic differentiation — graph nodes, the engine, grad mode.
 *
 * The graph is made of TnGradFn nodes, one per differentiable operation that ran
 * while grad mode was on and some input required grad. A node is a tn object
 * whose type is its node kind (so `type(y.grad_fn).__name__` is "MulBackward0"),
 * and it holds:
 *   - next edges, one per input of the forward op: the node that produced that
 *     input (and which of its outputs it was), or the leaf tensor itself (its
 *     gradient is accumulated into `.grad`), or nothing (no gradient needed);
 *   - the metadata (shape, dtype) of each output, so the engine can make zeros
 *     for an output that got no gradient and can check and reduce what flows in;
 *   - saved tensors with the storage version at save time, so a later in-place
 *     write is detected; they are released after a backward pass unless
 *     retain_graph is set;
 *   - op parameters (dims, scalars) in a small array, or one tn value (aux).
 * Tensors point to their node (grad_fn, output_nr); nodes point to their inputs'
 * nodes and to leaves, never to their own outputs, so reference counting frees a
 * graph as soon as its last output dies. The exceptions are weak: the tensor a
 * node must write .grad into for retain_grad() is cleared when that tensor dies.
 *
 * Recording happens outside the ops: autograd_init (autograd_api.c) wraps the
 * torch.* functions, Tensor methods and operator slots that tensor_api.c bound,
 * using the tables of TnGradRow in the grad_*.c files. The op functions (op_*)
 * therefore never record, and backward formulas call them freely.
 *
 * The engine (autograd.c) knows no op: it orders nodes (ready nodes run in
 * decreasing creation order, as PyTorch's does), sums gradients per output, runs
 * tensor hooks and retain_grad, reduces a broadcast gradient to its input's
 * shape with one shared sum_to, casts it to the input's dtype, accumulates into
 * leaves, and raises PyTorch's errors for freed or modified saved tensors.
 */
#ifndef TN_AUTOGRAD_H
#define TN_AUTOGRAD_H

#include "tensor.h"

/* ------------------------------------------------------------- grad mode */
extern bool autograd_enabled_flag;
/* Is grad mode on (torch.is_grad_enabled())? */
static inline bool autograd_is_enabled(void)
{
    return autograd_enabled_flag;
}
static inline void autograd_set_enabled(bool on)
{
    autograd_enabled_flag = on;
}
/* Set while a backward pass with create_graph runs: formulas then record (grad.h). */
extern bool autograd_graph_flag;

/* ------------------------------------------------------------------ nodes */
/* Where the gradient of one input goes: a node's output `nr`, or a leaf. Both
 * pointers are owned references; both NULL means "no gradient". */
typedef struct TnEdge {
    TnGradFn *fn;
    TnTensor *leaf;
    int nr;
} TnEdge;

/* Shape and dtype of one output of a node. */
typedef struct TnMeta {
    TnDType dtype;
    int ndim;
    int64_t sizes[TN_MAX_DIMS];
} TnMeta;

/* A saved tensor: an owned reference (an alias without history when it is an
 * output of the node itself), the storage version when saved, and for an output
 * the node and output it came from (for the "modified by an inplace operation"
 * message; an input is named by its own history when the error is raised). */
typedef struct TnSaved {
    TnTensor *t;
    int64_t version;
    const char *of; /* name of the node it is an output of, or NULL for an input */
    int of_nr;
} TnSaved;

typedef union TnNodeArg {
    int64_t i;
    double f;
} TnNodeArg;

/* Computes the gradients of the inputs from the gradients of the outputs.
 * gout[nout] are never NULL (missing ones are zeros); the function sets gin[i]
 * to a new reference or leaves it NULL (no gradient; inputs whose edge is empty
 * may always be skipped, see autograd_needs_input). 0, or -1 with an exception. */
typedef int (*TnBackwardFn)(TnState *st, TnGradFn *n, TnTensor **gout, TnTensor **gin);

/* A node kind: the type its nodes have (name = PyTorch's node name) and the
 * backward formula. Define one with TN_NODE_KIND. */
typedef struct TnNodeKind {
    TnType type; /* first: a node's head.type points here */
    TnBackwardFn backward;
} TnNodeKind;

/* The slots every node type shares (autograd.c). */
void autograd_node_dealloc(TnObject *o);
void autograd_node_traverse(TnObject *o, TnVisit visit, void *arg);
TnValue autograd_node_repr(TnState *st, TnValue self);
extern const TnMethodDef autograd_node_methods[];
extern const TnGetSetDef autograd_node_getset[];
#define TN_NODE_KIND(var, pyname, fn)                                                          \
    TnNodeKind var = {.type = {.head = {0, NULL},                                              \
                               .name = pyname,                                                 \
                               .dealloc = autograd_node_dealloc,                               \
                               .traverse = autograd_node_traverse,                             \
                               .repr = autograd_node_repr,                                     \
                               .methods = autograd_node_methods,                               \
                               .getset = autograd_node_getset},                                \
                      .backward = fn}

struct TnGradFn {
    TN_OBJECT_HEAD;
    uint64_t seq; /* creation order: the engine runs later nodes first */
    int nin, nout, nsaved, narg;
    bool freed;        /* saved tensors were released by a backward pass */
    TnEdge *next;      /* [nin] */
    TnMeta *meta;      /* [nout] */
    TnSaved *saved;    /* [nsaved] */
    TnValue *hooks;    /* NULL, or [nout] dicts id -> hook (tensor hooks of outputs) */
    TnTensor **retain; /* NULL, or [nout] weak pointers: outputs that retain_grad() */
    uint64_t retain_first; /* bit i: output i's retain_grad() came before any of its hooks,
                              so (as in PyTorch 1.13) it keeps the gradient the hooks see */
    TnValue aux;       /* one extra value the formula needs (an index key...), or UNDEF */
    TnValue post;      /* UNDEF, or a dict id -> hook(grad_inputs, grad_outputs) run after
                          the formula (grad_fn.register_hook, legacy module hooks) */
    TnNodeArg arg[];   /* [narg] op parameters */
};

#define NODE_KIND(n) ((TnNodeKind *)((TnObject *)(n))->type)
#define NODE_NAME(n) (((TnObject *)(n))->type->name)

/* A new node of `kind` with empty edges (refcount 1, owned by the caller), or
 * NULL with MemoryError. */
TnGradFn *autograd_node_new(TnState *st, TnNodeKind *kind, int nin, int nout, int nsaved,
                            int narg);
/* Changes the kind of a node that has no outputs yet; -1 on MemoryError. */
TN_MUST_CHECK int autograd_node_set_kind(TnState *st, TnGradFn *n, TnNodeKind *kind);
/* Does v hold a tensor that requires grad? */
static inline bool autograd_requires(TnValue v)
{
    return IS_TENSOR(v) && AS_TENSOR(v)->requires_grad;
}
/* Edge i of n <- where the gradient of tensor t goes (nothing if t needs none). */
void autograd_node_set_input(TnGradFn *n, int i, TnTensor *t);
/* Does input i of n need a gradient (has an edge)? */
static inline bool autograd_needs_input(const TnGradFn *n, int i)
{
    return n->next[i].fn || n->next[i].leaf;
}
/* Shape of input i, from the edge's target (only valid when it has an edge). */
const TnMeta *autograd_input_meta(const TnGradFn *n, int i, TnMeta *tmp);
/* Makes out output `nr` of n: sets grad_fn, output_nr, requires_grad, records its
 * metadata (an in-place op passes self, whose retain_grad moves along). 0 or -1. */
TN_MUST_CHECK int autograd_set_output(TnState *st, TnGradFn *n, int nr, TnTensor *out);
/* Saves an input tensor (a reference) or an output of n (an alias without history,
 * since the output owns n). Call save_output after set_output. */
void autograd_save(TnGradFn *n, int k, TnTensor *t);
TN_MUST_CHECK int autograd_save_output(TnState *st, TnGradFn *n, int k, TnTensor *out);
/* An in-place op is recorded after it ran, but PyTorch saves its inputs before: inputs
 * of n sharing self's storage (x.mul_(x)) get the version self had before the write. */
void autograd_saved_before(TnGradFn *n, const TnTensor *self, int64_t version);
/* Saved tensor k, checked: borrowed, or NULL with PyTorch's RuntimeError when the
 * graph was freed or the tensor was modified in place since. */
TnTensor *autograd_saved(TnState *st, TnGradFn *n, int k);

/* Sums g over broadcast dimensions down to the shape (nd, sizes); new reference
 * (g itself when the shape already matches). */
TnTensor *autograd_sum_to(TnState *st, TnTensor *g, int nd, const int64_t *sizes);

/* ----------------------------------------------------------------- engine */
/* tensor.backward(): runs the graph from `outputs` with `grads` (NULL entries for
 * implicit ones of scalars), accumulating into leaves. With create_graph the pass
 * runs in grad mode and the gradients have history of their own. 0 or -1. */
TN_MUST_CHECK int autograd_backward(TnState *st, int n, TnTensor **outputs, TnTensor **grads,
                                    bool retain_graph, bool create_graph);
/* torch.autograd.grad: the gradients of outputs w.r.t. inputs, into result[ninputs]
 * (new references, NULL for unused inputs when allow_unused). Leaves' .grad are left
 * alone. 0 or -1. */
TN_MUST_CHECK int autograd_grad(TnState *st, int n, TnTensor **outputs, TnTensor **grads,
                                int ninputs, TnTensor **inputs, bool retain_graph,
                                bool create_graph, bool allow_unused, TnTensor **result);

/* t.register_hook(fn): a RemovableHandle (new reference) or UNDEF. */
TN_MUST_CHECK TnValue autograd_register_hook(TnState *st, TnTensor *t, TnValue fn);
/* t.retain_grad(). 0 or -1. */
TN_MUST_CHECK int autograd_retain_grad(TnState *st, TnTensor *t);
/* Raises PyTorch's error when an in-place op on self is not allowed in grad mode
 * (a leaf, or a view of a leaf, that requires grad). 0 or -1. */
TN_MUST_CHECK int autograd_check_inplace(TnState *st, TnTensor *self);
/* The name of t's grad_fn ("AddBackward0"), NULL for leaves. */
const char *autograd_node_name(TnTensor *t);
/* Releases t's autograd fields when it dies (installed as tensor_release_autograd). */
void autograd_release(TnTensor *t);
/* Drops t's history: grad_fn = NULL, requires_grad = false (detach_). */
void autograd_detach_(TnTensor *t);
/* A new tensor sharing t's storage, without history (t.detach()). */
TnTensor *autograd_detach(TnState *st, TnTensor *t);

/* ------------------------------------------------------ recording (grad_*.c) */
/* How an entry point is recorded. autograd_init wraps the native named `name` in
 * each place `where` says; after the original native succeeded (grad mode on, some
 * input requiring grad, a floating result that is not one of the inputs) a node of
 * `kind` is made with `ninputs` edges from the leading parameters, `record` fills
 * its saved tensors and parameters, and the result's tensors become its outputs.
 *
 * `params` names the parameters passed to record, in order, separated by commas;
 * "a|b" accepts either name, "" means the first parameter (self / input) whatever
 * its name, and a trailing "?" marks one the binding may lack (passed as UNDEF). */
enum {
    GW_TORCH = 1,    /* torch.name */
    GW_METHOD = 2,   /* Tensor.name */
    GW_INPLACE = 4,  /* Tensor.name_ (in place on self) */
    GW_LINALG = 8,   /* torch.linalg.name */
    GW_F = 16,       /* torch.nn.functional.name */
    GW_SPARSE = 32,  /* torch.sparse.name */
};
enum {
    GR_VIEW = 1,          /* the result is a view of input 0 */
    GR_LIST = 2,          /* parameter 0 is a sequence of tensors: one edge each */
    GR_CLONE_SELF = 4,    /* in place: the formula needs self's old value */
    GR_NO_SELF_GRAD = 8,  /* in place: self's old value gets no gradient (fill_, zero_) */
};

/* Fills n's saved tensors / parameters from the bound parameters `a` (as listed
 * in the row's params) and the result. May change the kind. 0 or -1. */
typedef int (*TnRecordFn)(TnState *st, TnGradFn *n, const TnValue *a, TnValue result);

typedef struct TnGradRow {
    const char *name;
    unsigned where;
    const char *params;
    int ninputs;
    TnNodeKind *kind;
    int nsaved, narg;
    TnRecordFn record;
    unsigned flags;
} TnGradRow;

/* Records a node for an op whose `ninputs` inputs are in a (tensors or scalars),
 * whose result is r (a tensor, or a sequence of them): the shared path of the
 * wrapped natives and the operator slots. 0 or -1 (r is left to the caller). */
TN_MUST_CHECK int autograd_record(TnState *st, const TnGradRow *row, const TnValue *a,
                                  TnValue r);

/* The row tables, one per grad_*.c file, ended by a {NULL} row. */
extern const TnGradRow grad_elementwise_rows[], grad_reduce_rows[], grad_shape_rows[],
    grad_index_rows[], grad_matmul_rows[], grad_nn_rows[], grad_linalg_rows[];

/* Operator slots (x + y, -x, x[k], x[k] = v) are recorded by the same rows:
 * grad_elementwise.c gives the row for each operator. */
const TnGradRow *grad_binop_row(int op, TnValue a, TnValue b);
const TnGradRow *grad_unop_row(int op);
extern const TnGradRow grad_getitem_row, grad_matmul_row, grad_T_row, grad_mT_row;

/* In-place writes through x[key] = v on a tensor that requires grad (or with a v
 * that does): records CopySlices / IndexPutBackward0 after the write. 0 or -1. */
TN_MUST_CHECK int grad_record_setitem(TnState *st, TnTensor *x, TnValue key, TnValue v,
                                      TnTensor *old);
/* After an in-place op recorded on v, a view of the dense base b: gives b a
 * CopySlices node over its old history and v's new one, and makes v an as_strided
 * view of the new b, as PyTorch does. 0 or -1. */
TN_MUST_CHECK int grad_record_view_inplace(TnState *st, TnTensor *v, TnTensor *b);

#endif
