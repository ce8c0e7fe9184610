#!/usr/bin/env python3
"""oracle.py: prints CPython's AST of a file in parse_dump's S-expression format.

Used to check the expected outputs in tests/parse/ok/ against Python itself:
    python3 tests/parse/oracle.py [-p] FILE      (same format as parse_dump [-p] FILE)
Differences that are by design: annotations are dropped (`x: T` is Pass, `x: T = v`
an Assign), `a and b and c` nests as (And (And a b) c), and positions are printed
only where tn's node has the same meaning (not inside f-strings, not for nodes
written in parentheses, whose tn position is the inner expression's).
"""
import ast
import sys

POS = False
BIN = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
       ast.Pow: "**", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>", ast.BitAnd: "&",
       ast.BitOr: "|", ast.BitXor: "^"}
UN = {ast.USub: "-", ast.UAdd: "+", ast.Invert: "~", ast.Not: "not"}
CMP = {ast.Lt: "<", ast.LtE: "<=", ast.Eq: "==", ast.NotEq: "!=", ast.Gt: ">", ast.GtE: ">=",
       ast.In: "in", ast.NotIn: "not-in", ast.Is: "is", ast.IsNot: "is-not"}


def s(x):
    out = '"'
    for ch in x.encode():
        c = chr(ch)
        if c in '"\\':
            out += "\\" + c
        elif c == "\n":
            out += "\\n"
        elif c == "\t":
            out += "\\t"
        elif ch < 0x20 or ch == 0x7F:
            out += "\\x%02x" % ch
        else:
            out += "%c" % ch
    return out.encode("latin-1").decode("utf-8") + '"'


def flt(v):
    for prec in range(1, 18):
        t = "%.*g" % (prec, v)
        if float(t) == v:
            return t
    return repr(v)


class D:
    def __init__(self):
        self.nopos = 0

    def head(self, kind, node, pos=True):
        if POS and pos and self.nopos == 0 and node is not None and hasattr(node, "lineno"):
            return "(%s@%d:%d" % (kind, node.lineno, node.col_offset + 1)
        return "(" + kind

    def lst(self, label, xs):
        if not xs:
            return ""
        inner = " ".join(self.e(x) for x in xs)
        return " (%s %s)" % (label, inner) if label else " " + inner

    def body(self, n):
        out = self.lst("body", n.body)
        if getattr(n, "orelse", None):
            out += self.lst("else", n.orelse)
        return out

    def params(self, a):
        out = []
        pos = a.posonlyargs + a.args
        defaults = [None] * (len(pos) - len(a.defaults)) + list(a.defaults)
        for p, d in zip(pos, defaults):
            out.append(self.head("Param", p) + " " + p.arg + (" " + self.e(d) if d else "") + ")")
        if a.vararg:
            out.append(self.head("Param", a.vararg) + " *" + a.vararg.arg + ")")
        for p, d in zip(a.kwonlyargs, a.kw_defaults):
            out.append(self.head("Param", p) + " kw:" + p.arg + (" " + self.e(d) if d else "") + ")")
        if a.kwarg:
            out.append(self.head("Param", a.kwarg) + " **" + a.kwarg.arg + ")")
        return " (params " + " ".join(out) + ")" if out else ""

    def e(self, n):
        if n is None:
            return "_"
        m = getattr(self, "n_" + type(n).__name__)
        return m(n)

    # ---- statements ----
    def n_Module(self, n):
        return "(Module" + self.lst(None, n.body) + ")"

    def n_Expr(self, n):
        return self.head("Expr", n) + " " + self.e(n.value) + ")"

    def n_Assign(self, n):
        return self.head("Assign", n) + self.lst(None, n.targets) + " " + self.e(n.value) + ")"

    def n_AnnAssign(self, n):
        if n.value is None:
            return self.head("Pass", n) + ")"
        return self.head("Assign", n) + " " + self.e(n.target) + " " + self.e(n.value) + ")"

    def n_AugAssign(self, n):
        return self.head("AugAssign", n) + " " + BIN[type(n.op)] + " " + self.e(n.target) + " " + self.e(n.value) + ")"

    def n_Pass(self, n):
        return self.head("Pass", n) + ")"

    def n_Break(self, n):
        return self.head("Break", n) + ")"

    def n_Continue(self, n):
        return self.head("Continue", n) + ")"

    def n_Delete(self, n):
        flat = []

        def walk(t):
            if isinstance(t, (ast.Tuple, ast.List)):
                for x in t.elts:
                    walk(x)
            else:
                flat.append(t)
        for t in n.targets:
            walk(t)
        return self.head("Del", n) + self.lst(None, flat) + ")"

    def n_Return(self, n):
        return self.head("Return", n) + (" " + self.e(n.value) if n.value else "") + ")"

    def n_If(self, n):
        return self.head("If", n) + " " + self.e(n.test) + self.body(n) + ")"

    def n_While(self, n):
        return self.head("While", n) + " " + self.e(n.test) + self.body(n) + ")"

    def n_For(self, n):
        return self.head("For", n) + " " + self.e(n.target) + " " + self.e(n.iter) + self.body(n) + ")"

    def n_FunctionDef(self, n):
        return (self.head("Def", n) + " " + n.name + self.params(n.args) +
                self.lst("decorators", n.decorator_list) + self.lst("body", n.body) + ")")

    def n_ClassDef(self, n):
        base = " " + self.e(n.bases[0]) if n.bases else ""
        return (self.head("Class", n) + " " + n.name + base + self.lst("decorators", n.decorator_list) +
                self.lst("body", n.body) + ")")

    def n_With(self, n):
        items = " ".join("(WithItem " + self.e(i.context_expr) + (" " + self.e(i.optional_vars) if i.optional_vars else "") + ")"
                         for i in n.items)
        return self.head("With", n) + " " + items + self.lst("body", n.body) + ")"

    def n_Try(self, n):
        return (self.head("Try", n) + self.lst(None, n.handlers) + self.lst("body", n.body) +
                self.lst("else", n.orelse) + self.lst("finally", n.finalbody) + ")")

    def n_ExceptHandler(self, n):
        return (self.head("Except", n) + (" as " + n.name if n.name else "") +
                (" " + self.e(n.type) if n.type else "") + self.lst("body", n.body) + ")")

    def n_Raise(self, n):
        kids = [n.exc, n.cause]
        while kids and kids[-1] is None:
            kids.pop()
        return self.head("Raise", n) + "".join(" " + self.e(k) for k in kids) + ")"

    def n_Assert(self, n):
        return self.head("Assert", n) + " " + self.e(n.test) + (" " + self.e(n.msg) if n.msg else "") + ")"

    def n_Global(self, n):
        return self.head("Global", n) + "".join(" (Name %s)" % x for x in n.names) + ")"

    def n_Nonlocal(self, n):
        return self.head("Nonlocal", n) + "".join(" (Name %s)" % x for x in n.names) + ")"

    def n_alias(self, n):
        return self.head("Alias", n) + " " + n.name + (" as " + n.asname if n.asname else "") + ")"

    def n_Import(self, n):
        return self.head("Import", n) + self.lst(None, n.names) + ")"

    def n_ImportFrom(self, n):
        if n.names[0].name == "*":
            return self.head("ImportFrom", n) + " " + n.module + " *)"
        return self.head("ImportFrom", n) + " " + n.module + self.lst(None, n.names) + ")"

    # ---- expressions ----
    def n_Constant(self, n):
        v = n.value
        if v is None:
            return self.head("None", n) + ")"
        if v is True:
            return self.head("True", n) + ")"
        if v is False:
            return self.head("False", n) + ")"
        if v is Ellipsis:
            return self.head("Ellipsis", n) + ")"
        if isinstance(v, int):
            return self.head("Int", n) + " %d)" % v
        if isinstance(v, float):
            return self.head("Float", n) + " " + flt(v) + ")"
        return self.head("Str", n) + " " + s(v) + ")"

    def n_Name(self, n):
        return self.head("Name", n) + " " + n.id + ")"

    def n_Attribute(self, n):
        return self.head("Attr", n) + " " + self.e(n.value) + " ." + n.attr + ")"

    def n_Subscript(self, n):
        return self.head("Subscript", n) + " " + self.e(n.value) + " " + self.e(n.slice) + ")"

    def n_Slice(self, n):
        return self.head("Slice", n, pos=False) + " " + " ".join(self.e(x) for x in (n.lower, n.upper, n.step)) + ")"

    def n_Call(self, n):
        args = sorted(list(n.args) + list(n.keywords), key=lambda a: (a.lineno, a.col_offset))
        return self.head("Call", n) + " " + self.e(n.func) + self.lst(None, args) + ")"

    def n_keyword(self, n):
        if n.arg is None:
            return self.head("DStar", n) + " " + self.e(n.value) + ")"
        return self.head("Keyword", n) + " " + n.arg + " " + self.e(n.value) + ")"

    def n_Starred(self, n):
        return self.head("Starred", n) + " " + self.e(n.value) + ")"

    def n_BinOp(self, n):
        return self.head("BinOp", n) + " " + BIN[type(n.op)] + " " + self.e(n.left) + " " + self.e(n.right) + ")"

    def n_UnaryOp(self, n):
        return self.head("Unary", n) + " " + UN[type(n.op)] + " " + self.e(n.operand) + ")"

    def n_BoolOp(self, n):
        kind = "And" if isinstance(n.op, ast.And) else "Or"
        acc = self.e(n.values[0])
        for v in n.values[1:]:
            acc = self.head(kind, n) + " " + acc + " " + self.e(v) + ")"
        return acc

    def n_Compare(self, n):
        out = self.head("Compare", n) + " " + self.e(n.left)
        for op, c in zip(n.ops, n.comparators):
            out += " " + CMP[type(op)] + " " + self.e(c)
        return out + ")"

    def n_IfExp(self, n):
        return self.head("IfExp", n) + " " + self.e(n.test) + " " + self.e(n.body) + " " + self.e(n.orelse) + ")"

    def n_Lambda(self, n):
        return self.head("Lambda", n) + " " + self.e(n.body) + self.params(n.args) + ")"

    def n_Tuple(self, n):
        return self.head("Tuple", n) + self.lst(None, n.elts) + ")"

    def n_List(self, n):
        return self.head("List", n) + self.lst(None, n.elts) + ")"

    def n_Set(self, n):
        return self.head("Set", n) + self.lst(None, n.elts) + ")"

    def n_Dict(self, n):
        out = self.head("Dict", n)
        for k, v in zip(n.keys, n.values):
            if k is None:
                out += " (DStar " + self.e(v) + ") _"
            else:
                out += " " + self.e(k) + " " + self.e(v)
        return out + ")"

    def comp(self, kind, n, *elts):
        gens = " ".join("(CompFor " + self.e(g.target) + " " + self.e(g.iter) + self.lst(None, g.ifs) + ")"
                        for g in n.generators)
        return self.head(kind, n) + "".join(" " + self.e(x) for x in elts) + " " + gens + ")"

    def n_ListComp(self, n):
        return self.comp("ListComp", n, n.elt)

    def n_SetComp(self, n):
        return self.comp("SetComp", n, n.elt)

    def n_GeneratorExp(self, n):
        return self.comp("GenExp", n, n.elt)

    def n_DictComp(self, n):
        return self.comp("DictComp", n, n.key, n.value)

    def n_JoinedStr(self, n):
        out = self.head("FString", n)
        self.nopos += 1
        out += self.lst(None, n.values) + ")"
        self.nopos -= 1
        return out

    def n_FormattedValue(self, n):
        conv = "" if n.conversion == -1 else " !" + chr(n.conversion)
        spec = " " + self.e(n.format_spec) if n.format_spec else ""
        return "(FValue" + conv + " " + self.e(n.value) + spec + ")"


def main():
    global POS
    args = sys.argv[1:]
    if args and args[0] == "-p":
        POS = True
        args = args[1:]
    src = open(args[0], encoding="utf-8-sig").read()
    print(D().e(ast.parse(src)))


main()
