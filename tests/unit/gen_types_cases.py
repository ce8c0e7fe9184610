"""Generates tests/unit/types_cases.h: Python 3's answers for the object-model unit test.

Run with python3 (the oracle); the C test compares tn's results with these strings.
"""
import random

out = []


def cstr(s):
    b = s.encode('utf-8')
    r = '"'
    for c in b:
        if c == 34 or c == 92:
            r += '\\' + chr(c)
        elif 32 <= c < 127:
            r += chr(c)
        else:
            r += '\\%03o' % c
    return r + '"'


def result(f):
    try:
        return repr(f()) if not isinstance(f(), str) else f()
    except Exception as e:
        return '%s: %s' % (type(e).__name__, e)


def res_repr(f):
    try:
        return repr(f())
    except Exception as e:
        return '%s: %s' % (type(e).__name__, e)


random.seed(1234)

# 1. float repr
floats = [0.1, 0.2, 0.3, 1 / 3, 2 / 3, 1e-5, 1e-4, 1.5e16, 1e16, 1e15, 123456789.123, 1e22, 1e23,
          5e-324, 1.7976931348623157e308, 2.5, 100.0, 1e100, 3.14159, -0.0, 0.0, 10.0,
          float('inf'), float('-inf'), 0.000123, 12345678901234567.0, 9.999999999999999e15,
          1.1, 2.675, 1e-7, 123.456e-10]
for _ in range(60):
    floats.append(random.uniform(-1e6, 1e6) * 10 ** random.randint(-20, 20))
out.append('static const struct { double v; const char *repr; } float_reprs[] = {')
for f in floats:
    out.append('    {%s, %s},' % (f.hex() if f == f and abs(f) != float('inf') else
                                  ('HUGE_VAL' if f > 0 else '-HUGE_VAL'), cstr(repr(f))))
out.append('};')

# 2. format(value, spec)
int_vals = [0, 1, -1, 42, -42, 255, 1234, -1234567, 9223372036854775807, 65]
float_vals = [0.0, -0.0, 1.0, 1.5, -1.5, 3.14159265, 1234.5678, 1e16, 1e-7, 0.1, 2.5, 123456.0,
              float('inf'), float('nan'), 1e300]
specs = ['', 'd', '5', '<5', '>5', '^5', '*^9', '=+8', '+', ' ', '05', '010,', '09,', ',', '_',
         'x', 'X', '#x', '#010x', 'o', '#o', 'b', '#b', '_b', '_x', 'c', 'e', '.3e', 'E', 'f',
         '.2f', '.0f', '10.3f', '-10.3f', 'g', '.3g', 'G', '#g', '%', '.1%', '.3', '.0', 'n',
         's', '.2d', 'z.1f', ',.2f', '_.3f', '=^5', '0<5', 'xx', ',b', '12.4E', '+.2e', '#.0f',
         '>+10.2%', '.10', '.17g', '020.5f']
fmt_cases = []
for v in int_vals + float_vals:
    for s in specs:
        fmt_cases.append((v, s))
for v in ['abc', '', 'héllo']:
    for s in ['', 's', '5', '<5', '>5', '^6', '*^7.2', '.1', '05', '+', '#', '=5', ',', 'd']:
        fmt_cases.append((v, s))
for v in [None, True, False]:
    for s in ['', '>5', 'd', '5']:
        fmt_cases.append((v, s))


def cval(v):
    if v is None:
        return 'tn_none()'
    if isinstance(v, bool):
        return 'tn_bool(%d)' % v
    if isinstance(v, int):
        return 'tn_int(%dLL)' % v if v != -9223372036854775808 else 'tn_int(INT64_MIN)'
    if isinstance(v, float):
        if v != v:
            return 'tn_float(NAN)'
        if abs(v) == float('inf'):
            return 'tn_float(%sHUGE_VAL)' % ('-' if v < 0 else '')
        return 'tn_float(%s)' % v.hex()
    return 'S(%s)' % cstr(v)


out.append('static const struct { const char *what; TnValue (*make)(void); const char *spec; const char *expect; } format_cases[] = {')
mk = []
for i, (v, s) in enumerate(fmt_cases):
    mk.append('static TnValue fmt_v%d(void) { return %s; }' % (i, cval(v)))
out.insert(0, '\n'.join(mk))
for i, (v, s) in enumerate(fmt_cases):
    out.append('    {%s, fmt_v%d, %s, %s},' % (cstr(repr(v)), i, cstr(s), cstr(result(lambda: format(v, s)))))
out.append('};')

# 3. % formatting
pct = [('%d', (5,)), ('%5d|%-5d|%05d', (1, 2, 3)), ('%x %X %o %#x %#o', (255, 255, 8, 255, 8)),
       ('%s and %r', ('a', 'b')), ('%.3f', (3.14159,)), ('%5.2f%%', (99.5,)), ('%e', (12345.678,)),
       ('%g %g', (0.0001, 1e-5)), ('%c%c', (65, 'z')), ('%+d % d', (3, 4)), ('%d', (3.99,)),
       ('%.2s', ('abcdef',)), ('%10s|', ('hi',)), ('%-10s|', ('hi',)), ('%s', ((1, 2),)),
       ('%d %d', (1,)), ('%d', (1, 2)), ('%z', (1,)), ('%d', ('x',)), ('%x', (3.0,)),
       ('%f', ('a',)), ('%c', ('ab',)), ('%(a)s-%(b)d', {'a': 'x', 'b': 2}), ('%s', ([1, 'a'],)),
       ('%i|%u', (7, 8)), ('%.0f %.1f', (2.5, 0.25)), ('%*d', (5, 42)), ('%-*d|', (4, 7)),
       ('%.3d', (5,)), ('%5.1e', (0.000123,)), ('%G', (1e-10,)), ('100%%', ()), ('%a', ('é',)),
       ('%s %s', ('x', None)), ('%r', (1.5,)), ('%5s', (True,)), ('%d', (True,))]


def pyval_c(v):
    if isinstance(v, tuple):
        return 'T%d(%s)' % (len(v), ', '.join(pyval_c(x) for x in v)) if v else 'T0()'
    if isinstance(v, list):
        return 'L%d(%s)' % (len(v), ', '.join(pyval_c(x) for x in v))
    if isinstance(v, dict):
        items = []
        for k, x in v.items():
            items += [pyval_c(k), pyval_c(x)]
        return 'D%d(%s)' % (len(v), ', '.join(items))
    return cval(v)


mk = []
out.append('static const struct { const char *fmt; TnValue (*make)(void); const char *expect; } percent_cases[] = {')
for i, (f, a) in enumerate(pct):
    mk.append('static TnValue pct_v%d(void) { return %s; }' % (i, pyval_c(a)))
    out.append('    {%s, pct_v%d, %s},' % (cstr(f), i, cstr(result(lambda: f % a))))
out.append('};')
out.insert(1, '\n'.join(mk))

# 4. int() and float() of strings
ints = [('42', 10), ('  -17  ', 10), ('+5', 10), ('abc', 10), ('ff', 16), ('0xff', 16), ('0x1f', 0),
        ('0o17', 0), ('0b101', 0), ('012', 0), ('00', 0), ('1_000', 10), ('1__0', 10), ('_1', 10),
        ('1_', 10), ('z', 36), ('12', 1), ('', 10), ('9223372036854775807', 10),
        ('-9223372036854775808', 10), ('0x_ff', 0), ('0_7', 0), ('7', 8), ('8', 8), (' 0 ', 0)]
out.append('static const struct { const char *s; int base; const char *expect; } int_cases[] = {')
for s, b in ints:
    out.append('    {%s, %d, %s},' % (cstr(s), b, cstr(res_repr(lambda: int(s, b)))))
out.append('};')
floats_s = ['1.5', ' -2.25 ', '1e3', '1E-3', 'inf', '-Infinity', 'nan', '+NaN', '.5', '5.', '.',
            'e5', '1_000.5', '1__0', 'abc', '', '1e', '0x10', '  3  ', '1.5e+10', 'infx']
out.append('static const struct { const char *s; const char *expect; } float_cases[] = {')
for s in floats_s:
    out.append('    {%s, %s},' % (cstr(s), cstr(res_repr(lambda: float(s)))))
out.append('};')

# 5. hashes
hv = [0, 1, -1, -2, 2 ** 61 - 1, 2 ** 61, 2 ** 62, -(2 ** 63), 2 ** 63 - 1, 12345678901234]
out.append('static const struct { int64_t v; int64_t h; } int_hashes[] = {')
for v in hv:
    out.append('    {%s, %dLL},' % ('INT64_MIN' if v == -(2 ** 63) else '%dLL' % v, hash(v)))
out.append('};')
fv = [0.0, -0.0, 1.0, 1.5, -2.5, 1e100, 1e-100, 3.14159, 2.0 ** 70, -1.0, float('inf'), 0.1]
out.append('static const struct { double v; int64_t h; } float_hashes[] = {')
for v in fv:
    out.append('    {%s, %dLL},' % (v.hex() if abs(v) != float('inf') else 'HUGE_VAL', hash(v)))
out.append('};')
tv = [(), (1,), (1, 2), (1, 2, 3), ((1, 2), 3), (-1, 0.5), (True, None is None)]
mk = []
out.append('static const struct { TnValue (*make)(void); int64_t h; } tuple_hashes[] = {')
for i, t in enumerate(tv):
    mk.append('static TnValue th_v%d(void) { return %s; }' % (i, pyval_c(t)))
    out.append('    {th_v%d, %dLL},' % (i, hash(t)))
out.append('};')
out.insert(2, '\n'.join(mk))
fz = [frozenset(range(n)) for n in (0, 1, 3, 20, 100)]
out.append('static const struct { int n; int64_t first; int64_t h; } frozenset_hashes[] = {')
for f in fz:
    out.append('    {%d, %d, %dLL},' % (len(f), min(f) if f else 0, hash(f)))
out.append('};')

# 6. set order: build by adds (and some discards), compare repr
set_cases = []
for k in range(40):
    n = random.randint(0, 40)
    ops = []
    s = set()
    for _ in range(n):
        if s and random.random() < 0.2:
            x = random.choice(sorted(s))
            ops.append(-x - 1000000)
            s.discard(x)
        else:
            x = random.choice([random.randint(-20, 60), random.randint(0, 1000), random.randint(0, 10 ** 9)])
            ops.append(x)
            s.add(x)
    set_cases.append((ops, repr(s)))
out.append('static const int64_t set_ops[][48] = {')
for ops, _ in set_cases:
    out.append('    {%d, %s},' % (len(ops), ', '.join('%dLL' % o for o in ops) or '0'))
out.append('};')
out.append('static const char *const set_reprs[] = {')
for _, r in set_cases:
    out.append('    %s,' % cstr(r))
out.append('};')

# 7. str methods: (receiver, method, args) -> repr(result) or error
sm = [('  Hello World  ', 'strip', ()), ('xxhixx', 'strip', ('x',)), ('  a  ', 'lstrip', ()),
      ('  a  ', 'rstrip', ()), ('hello', 'upper', ()), ('HeLLo', 'lower', ()), ('hello world', 'title', ()),
      ('hello World', 'capitalize', ()), ('HeLLo', 'swapcase', ()), ('a,b,,c', 'split', (',',)),
      ('  a  b c ', 'split', ()), ('a b c d', 'split', (None, 2)), ('a b c d', 'rsplit', (None, 2)),
      ('a,b,c', 'rsplit', (',', 1)), ('a\nb\r\nc', 'splitlines', ()), ('a\nb\n', 'splitlines', (True,)),
      (',', 'join', (['a', 'b', 'c'],)), ('aaa', 'replace', ('a', 'b')), ('aaa', 'replace', ('a', 'b', 2)),
      ('abc', 'replace', ('', '-')), ('hello', 'find', ('l',)), ('hello', 'rfind', ('l',)),
      ('hello', 'find', ('z',)), ('hello', 'index', ('z',)), ('hello', 'count', ('l',)),
      ('hello', 'count', ('',)), ('hello', 'startswith', ('he',)), ('hello', 'endswith', (('x', 'lo'),)),
      ('hello', 'find', ('l', 3)), ('hello', 'find', ('l', -2, -1)), ('123', 'isdigit', ()),
      ('12a', 'isdigit', ()), ('abc', 'isalpha', ()), ('ab1', 'isalnum', ()), (' \t', 'isspace', ()),
      ('ABC', 'isupper', ()), ('abc', 'islower', ()), ('_a1', 'isidentifier', ()), ('1a', 'isidentifier', ()),
      ('42', 'zfill', (5,)), ('-42', 'zfill', (5,)), ('ab', 'center', (7, '*')), ('ab', 'center', (6,)),
      ('abc', 'center', (6,)), ('ab', 'ljust', (5,)), ('ab', 'rjust', (5, '.')), ('a=b=c', 'partition', ('=',)),
      ('a=b=c', 'rpartition', ('=',)), ('abc', 'partition', ('x',)), ('prefix_x', 'removeprefix', ('prefix_',)),
      ('x.py', 'removesuffix', ('.py',)), ('a\tb', 'expandtabs', ()), ('a\tb', 'expandtabs', (4,)),
      ('ABC', 'casefold', ()), ('{} {}', 'format', (1, 'a')), ('{0}{1}{0}', 'format', ('a', 'b')),
      ('{:>5}|{:<5}|', 'format', (1, 2)), ('{{}} {}', 'format', (3,)), ('{} {}', 'format', (1,)),
      ('{0:.2f}', 'format', (3.14159,)), ('{!r}', 'format', ('x',)), ('{', 'format', ()), ('}', 'format', ()),
      ('héllo', 'upper', ()), ('héllo', 'find', ('l',)), ('a,b', 'split', ('',)), ('x', 'join', ([1],)),
      ('abc', 'strip', (1,)), ('ab', 'center', (5, 'xy')), ('hello', 'title', ()), ("they're", 'title', ()),
      ('Hello World', 'istitle', ()), ('a b', 'split', (' ',)), ('aXbXc', 'split', ('X', 1)),
      ('', 'split', ()), ('', 'split', (',',)), ('abc', 'startswith', ('',)), ('abc', 'startswith', ('b', 1)),
      ('abc', 'endswith', ('b', 0, 2)), ('hello', 'translate', ({104: 'J', 108: None, 111: 121},)),
      ('abc', 'maketrans', ('ab', 'xy')), ('abc', 'maketrans', ('a', 'bc')), ('{a}-{b}', 'format_map', ({'a': 1, 'b': 'x'},)),
      ('abc', 'maketrans', ('ab', 'xy', 'c')), ('abc', 'translate', (str.maketrans('ab', 'xy', 'c'),))]
mk = []
out.append('static const struct { const char *self; const char *method; TnValue (*make)(void); const char *expect; } str_cases[] = {')
for i, (s, m, a) in enumerate(sm):
    mk.append('static TnValue sm_v%d(void) { return %s; }' % (i, pyval_c(tuple(a))))
    out.append('    {%s, %s, sm_v%d, %s},' % (cstr(s), cstr(m), i, cstr(res_repr(lambda: getattr(s, m)(*a)))))
out.append('};')
out.insert(3, '\n'.join(mk))

# 8. repr of strings
strs = ['abc', "it's", 'say "hi"', 'both \' and "', 'tab\there', 'nl\n', 'back\\slash', '\x01\x7f',
        'é', '\x80', '\u2028', '😀', '\r', '']
out.append('static const struct { const char *s; const char *repr; } str_reprs[] = {')
for s in strs:
    out.append('    {%s, %s},' % (cstr(s), cstr(repr(s))))
out.append('};')

# 9. arithmetic: (a, op, b) with Python's results
nan = float('nan')
arith = [(7, '//', 2), (-7, '//', 2), (7, '//', -2), (-7, '%', 3), (7, '%', -3), (7.5, '%', 2),
         (-7.5, '%', 2), (7.5, '//', -2), (-0.0, '%', 5), (1, '/', 0), (1, '//', 0), (1, '%', 0),
         (1.0, '/', 0), (1.0, '//', 0), (1.0, '%', 0), (2, '**', 10), (2, '**', -1), (0, '**', -1),
         (0.0, '**', -1), (-8, '**', 0.5), (10.0, '**', 400), (2, '**', 62), (2, '**', 63),
         (1, '<<', 62), (1, '<<', 63), (-1, '>>', 70), (1, '<<', -1), (9223372036854775807, '+', 1),
         (-9223372036854775807, '-', 2), (3037000500, '*', 3037000500), (True, '+', True),
         (True, '&', False), (True, '|', 2), (5, '^', 3), (7, '/', 2), (1, '/', 3), (2.0, '**', 0.5),
         (-2, '**', 3), (-2.0, '**', 2), (10, '**', 18), (10, '**', 19), (1e308, '*', 10),
         (-9223372036854775807 - 1, '//', -1), (0.1, '+', 0.2), (1e16, '+', 1), (3, '*', 1.5),
         (4.0, '//', 0.5), (1, '==', 1.0), (2 ** 53 + 1, '==', 2.0 ** 53), (0.5, '<', 1), (1, '<', 0.5),
         (nan, '==', nan), (nan, '!=', nan), (9007199254740993, '>', 9007199254740992.0),
         (-5, '//', 10), (-5, '%', 10), (5, '%', -10), (True, '^', True), (3, '>=', 3.0),
         (-9223372036854775807 - 1, '%', -1), (2, '**', 0), (0.0, '**', 0), (1.5, '//', 0.0)]
opnames = {'+': 'OP_ADD', '-': 'OP_SUB', '*': 'OP_MUL', '/': 'OP_TRUEDIV', '//': 'OP_FLOORDIV',
           '%': 'OP_MOD', '**': 'OP_POW', '<<': 'OP_LSHIFT', '>>': 'OP_RSHIFT', '&': 'OP_BITAND',
           '|': 'OP_BITOR', '^': 'OP_BITXOR', '==': '100 + CMP_EQ', '!=': '100 + CMP_NE',
           '<': '100 + CMP_LT', '>': '100 + CMP_GT', '>=': '100 + CMP_GE'}
out.append('static const struct { TnValue (*a)(void); int op; TnValue (*b)(void); const char *expect; } arith_cases[] = {')
mk = []
for i, (a, op, b) in enumerate(arith):
    mk.append('static TnValue ar_a%d(void) { return %s; }' % (i, cval(a)))
    mk.append('static TnValue ar_b%d(void) { return %s; }' % (i, cval(b)))
    r = res_repr(lambda: eval('a %s b' % op))
    if 'OverflowError' in r and ('int' in type(a).__name__ and 'int' in type(b).__name__):
        r = 'OverflowError: integer overflow (tn ints are 64-bit)'
    if r.endswith('j)'):
        r = 'ValueError: math domain error'
    try:
        v = eval('a %s b' % op)
        if isinstance(v, int) and not -2 ** 63 <= v < 2 ** 63:
            r = 'OverflowError: integer overflow (tn ints are 64-bit)'
    except Exception:
        pass
    out.append('    {ar_a%d, %s, ar_b%d, %s},' % (i, opnames[op], i, cstr(r)))
out.append('};')
out.insert(4, '\n'.join(mk))

open('tests/unit/types_cases.h', 'w').write(
    '/* types_cases.h: generated by gen_types_cases.py from Python 3; do not edit. */\n' +
    '\n'.join(out) + '\n')
