/* parser.y: tn's grammar (lemon), Python 3's syntax for the subset tn runs.
 *
 * The driver (src/parse.c) feeds clean tokens: NEWLINE, INDENT and DEDENT are
 * already made, brackets already joined lines, adjacent strings are one STRING
 * token whose node is built, and numbers are INT/FLOAT tokens with their node.
 * Every action is one call to a builder in parse.c; the builders also check what
 * a context-free grammar cannot (assignment targets, argument order). */

%name TnLemon
%token_prefix TK_
%token_type {TnToken}
%default_type {TnAst *}
%extra_context {TnParse *p}
%start_symbol input

%include {
#include "parse_internal.h"
/* The first error ends the parse: no lemon error recovery. */
#define YYNOERRORRECOVERY 1
}

/* A syntax error at end of input means "incomplete" (the REPL reads another
 * line); anywhere else it is a SyntaxError at that token (parse_syntax_error). */
%syntax_error { parse_syntax_error(p, yymajor, yyminor); }

/* Each bracket or block level costs a few stack entries (a dozen at worst);
 * the driver caps brackets at 200 and indentation at 100, so 10000 entries are
 * only exceeded by absurd chains of prefix or right-associative operators
 * (`- - - ... x`, `2**2**...`), reported as "expression too complex". */
%stack_size 10000
%stack_overflow { parse_stack_overflow(p); }

/* Tokens only the lexer knows: the grammar rejects them as invalid syntax. */
%token ASYNC AWAIT YIELD WALRUS.

/* Precedence of the binary operators, lowest first, as in Python. The rest of
 * the expression grammar (lambda, if-else, or, and, not, comparisons) is
 * layered in nonterminals below because comparisons chain and `not` binds
 * looser than them. UNARY is unary + - ~, which binds looser than ** on its
 * right (-2**2 == -4) but tighter than everything else. */
%left VBAR.
%left CIRCUMFLEX.
%left AMPER.
%left LSHIFT RSHIFT.
%left PLUS MINUS.
%left STAR SLASH DSLASH PERCENT AT.
%right UNARY.
%right DSTAR.

/////////////////////////////// Entry points ///////////////////////////////

/* A file, or (after the EXPRMODE token) one f-string replacement expression. */
input ::= file.
input ::= EXPRMODE testlist_star(E) NEWLINE.        { set_expr_result(p, E); }

file ::= .                                          { set_module(p, list_empty()); }
file ::= stmts(L).                                  { set_module(p, L); }

%type stmts {TnNodeList}
stmts(A) ::= stmt_line(L).                          { A = L; }
stmts(A) ::= stmts(A) stmt_line(L).                 { A = list_cat(p, A, L); }

/* One logical line: simple statements separated by ';', or a compound statement. */
%type stmt_line {TnNodeList}
stmt_line(A) ::= simple_line(L).                    { A = L; }
stmt_line(A) ::= compound(S).                       { A = list1(p, S); }

%type simple_line {TnNodeList}
simple_line(A) ::= simples(L) NEWLINE.              { A = L; }
simple_line(A) ::= simples(L) SEMI NEWLINE.         { A = L; }

%type simples {TnNodeList}
simples(A) ::= small(S).                            { A = list1(p, S); }
simples(A) ::= simples(A) SEMI small(S).            { A = list_push(p, A, S); }

/* The body of a compound statement: the rest of its line, or an indented block. */
%type block {TnNodeList}
block(A) ::= simple_line(L).                        { A = L; }
block(A) ::= NEWLINE INDENT stmts(L) DEDENT.        { A = L; }

/////////////////////////////// Simple statements ///////////////////////////////

small(A) ::= testlist_star(E).                      { A = mk_exprstmt(p, E); }
small(A) ::= targets(T) testlist_star(V).           { A = mk_assign(p, T, V); }
small(A) ::= testlist_star(T) augop(O) testlist_star(V). { A = mk_augassign(p, T, O, V); }
small(A) ::= testlist_star(T) COLON test.           { A = mk_annassign(p, T, NULL); }
small(A) ::= testlist_star(T) COLON test ASSIGN testlist_star(V). { A = mk_annassign(p, T, V); }
small(A) ::= PASS(T).                               { A = node_at(p, AST_PASS, T); }
small(A) ::= BREAK(T).                              { A = node_at(p, AST_BREAK, T); }
small(A) ::= CONTINUE(T).                           { A = node_at(p, AST_CONTINUE, T); }
small(A) ::= DEL(T) el(L).                          { A = mk_del(p, T, L); }
small(A) ::= DEL(T) el(L) COMMA.                    { A = mk_del(p, T, L); }
small(A) ::= RETURN(T).                             { A = node_at(p, AST_RETURN, T); }
small(A) ::= RETURN(T) testlist_star(E).            { A = node_a(p, AST_RETURN, T, no_star(p, E)); }
small(A) ::= RAISE(T).                              { A = node_at(p, AST_RAISE, T); }
small(A) ::= RAISE(T) test(E).                      { A = node_a(p, AST_RAISE, T, E); }
small(A) ::= RAISE(T) test(E) FROM test(C).         { A = node_ab(p, AST_RAISE, T, E, C); }
small(A) ::= ASSERT(T) test(E).                     { A = node_a(p, AST_ASSERT, T, E); }
small(A) ::= ASSERT(T) test(E) COMMA test(M).       { A = node_ab(p, AST_ASSERT, T, E, M); }
small(A) ::= GLOBAL(T) names(L).                    { A = mk_names(p, AST_GLOBAL, T, L); }
small(A) ::= NONLOCAL(T) names(L).                  { A = mk_names(p, AST_NONLOCAL, T, L); }
small(A) ::= IMPORT(T) aliases(L).                  { A = mk_names(p, AST_IMPORT, T, L); }
small(A) ::= FROM(T) dotted(M) IMPORT STAR.         { A = mk_importfrom(p, T, M, list_empty(), 1); }
small(A) ::= FROM(T) dotted(M) IMPORT from_names(L). { A = mk_importfrom(p, T, M, L, 0); }
small(A) ::= FROM(T) dotted(M) IMPORT LPAREN from_names(L) RPAREN. { A = mk_importfrom(p, T, M, L, 0); }
small(A) ::= FROM(T) dotted(M) IMPORT LPAREN from_names(L) COMMA RPAREN. { A = mk_importfrom(p, T, M, L, 0); }

/* `a = b = value`: every testlist before the last '=' is a target. */
%type targets {TnNodeList}
targets(A) ::= testlist_star(T) ASSIGN.             { A = list1(p, T); }
targets(A) ::= targets(A) testlist_star(T) ASSIGN.  { A = list_push(p, A, T); }

%type augop {int}
augop(A) ::= AUGADD.                                { A = OP_ADD; }
augop(A) ::= AUGSUB.                                { A = OP_SUB; }
augop(A) ::= AUGMUL.                                { A = OP_MUL; }
augop(A) ::= AUGDIV.                                { A = OP_TRUEDIV; }
augop(A) ::= AUGFLOORDIV.                           { A = OP_FLOORDIV; }
augop(A) ::= AUGMOD.                                { A = OP_MOD; }
augop(A) ::= AUGPOW.                                { A = OP_POW; }
augop(A) ::= AUGMATMUL.                             { A = OP_MATMUL; }
augop(A) ::= AUGAND.                                { A = OP_BITAND; }
augop(A) ::= AUGOR.                                 { A = OP_BITOR; }
augop(A) ::= AUGXOR.                                { A = OP_BITXOR; }
augop(A) ::= AUGLSHIFT.                             { A = OP_LSHIFT; }
augop(A) ::= AUGRSHIFT.                             { A = OP_RSHIFT; }

%type names {TnNodeList}
names(A) ::= NAME(N).                               { A = list1(p, name_node(p, N)); }
names(A) ::= names(A) COMMA NAME(N).                { A = list_push(p, A, name_node(p, N)); }

/* Imports: dotted module names are joined into one arena string. */
%type dotted {TnToken}
dotted(A) ::= NAME(A).
dotted(A) ::= dotted(A) DOT NAME(N).                { A = dotted_join(p, A, N); }

%type aliases {TnNodeList}
aliases(A) ::= alias(X).                            { A = list1(p, X); }
aliases(A) ::= aliases(A) COMMA alias(X).           { A = list_push(p, A, X); }
alias(A) ::= dotted(D).                             { A = mk_alias(p, D, (TnToken){0}); }
alias(A) ::= dotted(D) AS NAME(N).                  { A = mk_alias(p, D, N); }

%type from_names {TnNodeList}
from_names(A) ::= from_name(X).                     { A = list1(p, X); }
from_names(A) ::= from_names(A) COMMA from_name(X). { A = list_push(p, A, X); }
from_name(A) ::= NAME(D).                           { A = mk_alias(p, D, (TnToken){0}); }
from_name(A) ::= NAME(D) AS NAME(N).                { A = mk_alias(p, D, N); }

/////////////////////////////// Compound statements ///////////////////////////////

compound(A) ::= if_stmt(S).                         { A = S; }
compound(A) ::= WHILE(T) test(C) COLON block(B).    { A = mk_loop(p, AST_WHILE, T, C, NULL, B, list_empty()); }
compound(A) ::= WHILE(T) test(C) COLON block(B) ELSE COLON block(E). { A = mk_loop(p, AST_WHILE, T, C, NULL, B, E); }
compound(A) ::= FOR(T) exprlist(X) IN testlist_star(I) COLON block(B). { A = mk_for(p, T, X, I, B, list_empty()); }
compound(A) ::= FOR(T) exprlist(X) IN testlist_star(I) COLON block(B) ELSE COLON block(E). { A = mk_for(p, T, X, I, B, E); }
compound(A) ::= try_stmt(S).                        { A = S; }
compound(A) ::= WITH(T) withitems(L) COLON block(B). { A = mk_with(p, T, L, B); }
compound(A) ::= funcdef(S).                         { A = S; }
compound(A) ::= classdef(S).                        { A = S; }
compound(A) ::= decorators(D) funcdef(S).           { A = decorate(p, D, S); }
compound(A) ::= decorators(D) classdef(S).          { A = decorate(p, D, S); }

/* `elif` chains are built left to right (a long chain must not deepen the
 * parser stack); the chain's head remembers its last `if` (see if_add_elif). */
if_stmt(A) ::= if_chain(H).                         { A = if_add_else(p, H, list_empty()); }
if_stmt(A) ::= if_chain(H) ELSE COLON block(E).     { A = if_add_else(p, H, E); }
if_chain(A) ::= IF(T) test(C) COLON block(B).       { A = mk_if(p, T, C, B); }
if_chain(A) ::= if_chain(H) ELIF(T) test(C) COLON block(B). { A = if_add_elif(p, H, mk_if(p, T, C, B)); }

try_stmt(A) ::= TRY(T) COLON block(B) handlers(H).  { A = mk_try(p, T, B, H, list_empty(), list_empty()); }
try_stmt(A) ::= TRY(T) COLON block(B) handlers(H) ELSE COLON block(E). { A = mk_try(p, T, B, H, E, list_empty()); }
try_stmt(A) ::= TRY(T) COLON block(B) handlers(H) FINALLY COLON block(F). { A = mk_try(p, T, B, H, list_empty(), F); }
try_stmt(A) ::= TRY(T) COLON block(B) handlers(H) ELSE COLON block(E) FINALLY COLON block(F). { A = mk_try(p, T, B, H, E, F); }
try_stmt(A) ::= TRY(T) COLON block(B) FINALLY COLON block(F). { A = mk_try(p, T, B, list_empty(), list_empty(), F); }
try_stmt(A) ::= TRY COLON block.                    { A = mk_try_incomplete(p); }

%type handlers {TnNodeList}
handlers(A) ::= handler(H).                         { A = list1(p, H); }
handlers(A) ::= handlers(A) handler(H).             { A = list_push(p, A, H); }
handler(A) ::= EXCEPT(T) COLON block(B).            { A = mk_except(p, T, NULL, NULL, B); }
handler(A) ::= EXCEPT(T) test(E) COLON block(B).    { A = mk_except(p, T, E, NULL, B); }
handler(A) ::= EXCEPT(T) test(E) AS NAME(N) COLON block(B). { A = mk_except(p, T, E, &N, B); }

%type withitems {TnNodeList}
withitems(A) ::= withitem(W).                       { A = list1(p, W); }
withitems(A) ::= withitems(A) COMMA withitem(W).    { A = list_push(p, A, W); }
withitem(A) ::= test(E).                            { A = mk_withitem(p, E, NULL); }
withitem(A) ::= test(E) AS bexpr(T).                { A = mk_withitem(p, E, T); }

funcdef(A) ::= DEF(T) NAME(N) LPAREN params(P) RPAREN COLON block(B). { A = mk_def(p, T, N, P, B); }
funcdef(A) ::= DEF(T) NAME(N) LPAREN params(P) RPAREN ARROW test COLON block(B). { A = mk_def(p, T, N, P, B); }

classdef(A) ::= CLASS(T) NAME(N) COLON block(B).    { A = mk_class(p, T, N, list_empty(), B); }
classdef(A) ::= CLASS(T) NAME(N) LPAREN args(L) RPAREN COLON block(B). { A = mk_class(p, T, N, L, B); }

%type decorators {TnNodeList}
decorators(A) ::= AT test(E) NEWLINE.               { A = list1(p, E); }
decorators(A) ::= decorators(A) AT test(E) NEWLINE. { A = list_push(p, A, E); }

/* Parameters of def (annotations accepted and dropped) and of lambda. A bare
 * '*' or '/' is a marker node that mk_def/mk_lambda remove after checking order. */
%type params {TnNodeList}
params(A) ::= .                                     { A = list_empty(); }
params(A) ::= plist(L).                             { A = L; }
params(A) ::= plist(L) COMMA.                       { A = L; }
%type plist {TnNodeList}
plist(A) ::= param(X).                              { A = list1(p, X); }
plist(A) ::= plist(A) COMMA param(X).               { A = list_push(p, A, X); }
param(A) ::= NAME(N).                               { A = mk_param(p, N, NULL, PARAM_NORMAL); }
param(A) ::= NAME(N) COLON test.                    { A = mk_param(p, N, NULL, PARAM_NORMAL); }
param(A) ::= NAME(N) ASSIGN test(D).                { A = mk_param(p, N, D, PARAM_NORMAL); }
param(A) ::= NAME(N) COLON test ASSIGN test(D).     { A = mk_param(p, N, D, PARAM_NORMAL); }
param(A) ::= STAR NAME(N).                          { A = mk_param(p, N, NULL, PARAM_VARARGS); }
param(A) ::= STAR NAME(N) COLON test.               { A = mk_param(p, N, NULL, PARAM_VARARGS); }
param(A) ::= DSTAR NAME(N).                         { A = mk_param(p, N, NULL, PARAM_VARKW); }
param(A) ::= DSTAR NAME(N) COLON test.              { A = mk_param(p, N, NULL, PARAM_VARKW); }
param(A) ::= STAR(T).                               { A = mk_param_marker(p, T, 1); }
param(A) ::= SLASH(T).                              { A = mk_param_marker(p, T, 0); }

%type lparams {TnNodeList}
lparams(A) ::= .                                    { A = list_empty(); }
lparams(A) ::= lplist(L).                           { A = L; }
lparams(A) ::= lplist(L) COMMA.                     { A = L; }
%type lplist {TnNodeList}
lplist(A) ::= lparam(X).                            { A = list1(p, X); }
lplist(A) ::= lplist(A) COMMA lparam(X).            { A = list_push(p, A, X); }
lparam(A) ::= NAME(N).                              { A = mk_param(p, N, NULL, PARAM_NORMAL); }
lparam(A) ::= NAME(N) ASSIGN test(D).               { A = mk_param(p, N, D, PARAM_NORMAL); }
lparam(A) ::= STAR NAME(N).                         { A = mk_param(p, N, NULL, PARAM_VARARGS); }
lparam(A) ::= DSTAR NAME(N).                        { A = mk_param(p, N, NULL, PARAM_VARKW); }
lparam(A) ::= STAR(T).                              { A = mk_param_marker(p, T, 1); }
lparam(A) ::= SLASH(T).                             { A = mk_param_marker(p, T, 0); }

/////////////////////////////// Expressions, loosest first ///////////////////////////////

/* Comma lists: one item alone is that item; with a comma it is a tuple. */
testlist_star(A) ::= tl(L).                         { A = mk_tuple(p, L, 0); }
testlist_star(A) ::= tl(L) COMMA.                   { A = mk_tuple(p, L, 1); }
%type tl {TnNodeList}
tl(A) ::= tl_item(X).                               { A = list1(p, X); }
tl(A) ::= tl(A) COMMA tl_item(X).                   { A = list_push(p, A, X); }
tl_item(A) ::= test(X).                             { A = X; }
tl_item(A) ::= star_expr(X).                        { A = X; }

/* Targets of for and del stop below comparisons, so `in` ends them. */
exprlist(A) ::= el(L).                              { A = mk_tuple(p, L, 0); }
exprlist(A) ::= el(L) COMMA.                        { A = mk_tuple(p, L, 1); }
%type el {TnNodeList}
el(A) ::= el_item(X).                               { A = list1(p, X); }
el(A) ::= el(A) COMMA el_item(X).                   { A = list_push(p, A, X); }
el_item(A) ::= bexpr(X).                            { A = X; }
el_item(A) ::= star_expr(X).                        { A = X; }

star_expr(A) ::= STAR(T) bexpr(E).                  { A = node_a(p, AST_STARRED, T, E); }

test(A) ::= or_test(X).                             { A = X; }
test(A) ::= or_test(X) IF or_test(C) ELSE test(Y).  { A = mk_ifexp(p, X, C, Y); }
test(A) ::= or_test(X) IF or_test.                  { A = expect_else(p, X); }
test(A) ::= LAMBDA(T) lparams(P) COLON test(E).     { A = mk_lambda(p, T, P, E); }

or_test(A) ::= and_test(X).                         { A = X; }
or_test(A) ::= or_test(X) OR and_test(Y).           { A = mk_boolop(p, AST_OR, X, Y); }
and_test(A) ::= not_test(X).                        { A = X; }
and_test(A) ::= and_test(X) AND not_test(Y).        { A = mk_boolop(p, AST_AND, X, Y); }
not_test(A) ::= comparison(X).                      { A = X; }
not_test(A) ::= NOT(T) not_test(X).                 { A = mk_unary(p, UOP_NOT, T, X); }

/* a < b <= c is one AST_COMPARE, but (a < b) < c is two: a parenthesized
 * comparison arrives as a bexpr. `not in` and `is not` are single operators. */
comparison(A) ::= bexpr(X).                         { A = X; }
comparison(A) ::= cmpchain(X).                      { A = X; }
cmpchain(A) ::= bexpr(X) compop(O) bexpr(Y).        { A = mk_compare(p, NULL, X, O, Y); }
cmpchain(A) ::= cmpchain(C) compop(O) bexpr(Y).     { A = mk_compare(p, C, NULL, O, Y); }
%type compop {int}
compop(A) ::= LT.                                   { A = CMP_LT; }
compop(A) ::= LE.                                   { A = CMP_LE; }
compop(A) ::= EQ.                                   { A = CMP_EQ; }
compop(A) ::= NE.                                   { A = CMP_NE; }
compop(A) ::= GT.                                   { A = CMP_GT; }
compop(A) ::= GE.                                   { A = CMP_GE; }
compop(A) ::= IN.                                   { A = CMP_IN; }
compop(A) ::= NOT IN.                               { A = CMP_NOTIN; }
compop(A) ::= IS.                                   { A = CMP_IS; }
compop(A) ::= IS NOT.                               { A = CMP_ISNOT; }

/* Binary and unary arithmetic: resolved by the precedence table at the top. */
bexpr(A) ::= primary(X).                            { A = X; }
bexpr(A) ::= bexpr(X) VBAR bexpr(Y).                { A = mk_binop(p, OP_BITOR, X, Y); }
bexpr(A) ::= bexpr(X) CIRCUMFLEX bexpr(Y).          { A = mk_binop(p, OP_BITXOR, X, Y); }
bexpr(A) ::= bexpr(X) AMPER bexpr(Y).               { A = mk_binop(p, OP_BITAND, X, Y); }
bexpr(A) ::= bexpr(X) LSHIFT bexpr(Y).              { A = mk_binop(p, OP_LSHIFT, X, Y); }
bexpr(A) ::= bexpr(X) RSHIFT bexpr(Y).              { A = mk_binop(p, OP_RSHIFT, X, Y); }
bexpr(A) ::= bexpr(X) PLUS bexpr(Y).                { A = mk_binop(p, OP_ADD, X, Y); }
bexpr(A) ::= bexpr(X) MINUS bexpr(Y).               { A = mk_binop(p, OP_SUB, X, Y); }
bexpr(A) ::= bexpr(X) STAR bexpr(Y).                { A = mk_binop(p, OP_MUL, X, Y); }
bexpr(A) ::= bexpr(X) SLASH bexpr(Y).               { A = mk_binop(p, OP_TRUEDIV, X, Y); }
bexpr(A) ::= bexpr(X) DSLASH bexpr(Y).              { A = mk_binop(p, OP_FLOORDIV, X, Y); }
bexpr(A) ::= bexpr(X) PERCENT bexpr(Y).             { A = mk_binop(p, OP_MOD, X, Y); }
bexpr(A) ::= bexpr(X) AT bexpr(Y).                  { A = mk_binop(p, OP_MATMUL, X, Y); }
bexpr(A) ::= bexpr(X) DSTAR bexpr(Y).               { A = mk_binop(p, OP_POW, X, Y); }
bexpr(A) ::= MINUS(T) bexpr(X). [UNARY]             { A = mk_unary(p, UOP_NEG, T, X); }
bexpr(A) ::= PLUS(T) bexpr(X). [UNARY]              { A = mk_unary(p, UOP_POS, T, X); }
bexpr(A) ::= TILDE(T) bexpr(X). [UNARY]             { A = mk_unary(p, UOP_INVERT, T, X); }

/////////////////////////////// Primaries: atoms, calls, subscripts ///////////////////////////////

primary(A) ::= atom(X).                             { A = X; }
primary(A) ::= primary(X) DOT NAME(N).              { A = mk_attr(p, X, N); }
primary(A) ::= primary(X) LPAREN(T) args(L) RPAREN. { A = mk_call(p, X, T, L); }
primary(A) ::= primary(X) LBRACKET subscripts(L) RBRACKET. { A = mk_subscript(p, X, L, 0); }
primary(A) ::= primary(X) LBRACKET subscripts(L) COMMA RBRACKET. { A = mk_subscript(p, X, L, 1); }

/* Call arguments; their order is checked by mk_call, which also allows a
 * bare generator expression only as the sole argument. */
%type args {TnNodeList}
args(A) ::= .                                       { A = list_empty(); }
args(A) ::= arglist(L).                             { A = L; }
args(A) ::= arglist(L) COMMA.                       { A = L; }
%type arglist {TnNodeList}
arglist(A) ::= arg(X).                              { A = list1(p, X); }
arglist(A) ::= arglist(A) COMMA arg(X).             { A = list_push(p, A, X); }
arg(A) ::= test(X).                                 { A = X; }
arg(A) ::= test(E) comp_for(F).                     { A = bare_genexp(p, E, F); }
arg(A) ::= STAR(T) test(X).                         { A = node_a(p, AST_STARRED, T, X); }
arg(A) ::= DSTAR(T) test(X).                        { A = node_a(p, AST_DSTAR, T, X); }
arg(A) ::= NAME(N) ASSIGN test(X).                  { A = mk_keyword(p, N, X); }

/* Subscripts: an index, a slice, or a comma list of them (a tuple). */
%type subscripts {TnNodeList}
subscripts(A) ::= subscript(X).                     { A = list1(p, X); }
subscripts(A) ::= subscripts(A) COMMA subscript(X). { A = list_push(p, A, X); }
subscript(A) ::= test(X).                           { A = X; }
subscript(A) ::= slice_part(L) COLON(T) slice_part(H). { A = mk_slice(p, T, L, H, NULL); }
subscript(A) ::= slice_part(L) COLON(T) slice_part(H) COLON slice_part(S). { A = mk_slice(p, T, L, H, S); }
slice_part(A) ::= .                                 { A = NULL; }
slice_part(A) ::= test(X).                          { A = X; }

atom(A) ::= NAME(N).                                { A = name_node(p, N); }
atom(A) ::= INT(T).                                 { A = T.node; }
atom(A) ::= FLOAT(T).                               { A = T.node; }
atom(A) ::= STRING(T).                              { A = T.node; }
atom(A) ::= NONE(T).                                { A = node_at(p, AST_NONE, T); }
atom(A) ::= TRUE(T).                                { A = node_at(p, AST_TRUE, T); }
atom(A) ::= FALSE(T).                               { A = node_at(p, AST_FALSE, T); }
atom(A) ::= ELLIPSIS(T).                            { A = node_at(p, AST_ELLIPSIS, T); }

/////////////////////////////// Displays and comprehensions ///////////////////////////////

atom(A) ::= LPAREN(T) RPAREN.                       { A = mk_display(p, AST_TUPLE, T, list_empty()); }
atom(A) ::= LPAREN(T) tl(L) RPAREN.                 { A = mk_paren(p, T, L, 0); }
atom(A) ::= LPAREN(T) tl(L) COMMA RPAREN.           { A = mk_paren(p, T, L, 1); }
atom(A) ::= LPAREN(T) test(E) comp_for(F) RPAREN.   { A = mk_comp(p, AST_GENEXP, T, E, NULL, F); }
atom(A) ::= LBRACKET(T) RBRACKET.                   { A = mk_display(p, AST_LIST, T, list_empty()); }
atom(A) ::= LBRACKET(T) tl(L) RBRACKET.             { A = mk_display(p, AST_LIST, T, L); }
atom(A) ::= LBRACKET(T) tl(L) COMMA RBRACKET.       { A = mk_display(p, AST_LIST, T, L); }
atom(A) ::= LBRACKET(T) test(E) comp_for(F) RBRACKET. { A = mk_comp(p, AST_LISTCOMP, T, E, NULL, F); }
atom(A) ::= LBRACE(T) RBRACE.                       { A = mk_display(p, AST_DICT, T, list_empty()); }
atom(A) ::= LBRACE(T) dl(L) RBRACE.                 { A = mk_display(p, AST_DICT, T, L); }
atom(A) ::= LBRACE(T) dl(L) COMMA RBRACE.           { A = mk_display(p, AST_DICT, T, L); }
atom(A) ::= LBRACE(T) tl(L) RBRACE.                 { A = mk_display(p, AST_SET, T, L); }
atom(A) ::= LBRACE(T) tl(L) COMMA RBRACE.           { A = mk_display(p, AST_SET, T, L); }
atom(A) ::= LBRACE(T) test(E) comp_for(F) RBRACE.   { A = mk_comp(p, AST_SETCOMP, T, E, NULL, F); }
atom(A) ::= LBRACE(T) test(K) COLON test(V) comp_for(F) RBRACE. { A = mk_comp(p, AST_DICTCOMP, T, K, V, F); }

/* Dict display entries, flattened: key, value, key, value; `**m` is DSTAR, NULL. */
%type dl {TnNodeList}
dl(A) ::= test(K) COLON test(V).                    { A = list_push(p, list1(p, K), V); }
dl(A) ::= DSTAR(T) bexpr(M).                        { A = list_push(p, list1(p, node_a(p, AST_DSTAR, T, M)), NULL); }
dl(A) ::= dl(A) COMMA test(K) COLON test(V).        { A = list_push(p, list_push(p, A, K), V); }
dl(A) ::= dl(A) COMMA DSTAR(T) bexpr(M).            { A = list_push(p, list_push(p, A, node_a(p, AST_DSTAR, T, M)), NULL); }

/* for-clauses; each holds the `if` conditions written after it. The iterable
 * and conditions are or_tests, so their `if` cannot start a conditional. */
%type comp_for {TnNodeList}
comp_for(A) ::= FOR(T) exprlist(X) IN or_test(I).   { A = list1(p, mk_compfor(p, T, X, I)); }
comp_for(A) ::= comp_for(A) FOR(T) exprlist(X) IN or_test(I). { A = list_push(p, A, mk_compfor(p, T, X, I)); }
comp_for(A) ::= comp_for(A) IF or_test(C).          { A = comp_add_if(p, A, C); }
