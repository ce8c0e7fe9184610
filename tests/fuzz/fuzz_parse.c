/* fuzz_parse.c: libFuzzer entry for the lexer, the parser and the resolver on raw source bytes.
 *
 * Every input is a module's source: it must parse or fail with a SyntaxError (or incomplete),
 * and a parsed module must resolve or raise (SyntaxError, RecursionError for absurd nesting),
 * never crash, overflow the C stack or leak. Nothing runs, so any input is cheap.
 */
#include "fuzz_run.h"
#include "resolve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    TnState *st = fuzz_run_state();
    TnArena *arena = arena_new((const char *)data, size, "<fuzz>");
    if (!arena)
        return 0;
    TnParseError err;
    memset(&err, 0, sizeof err);
    TnAst *mod = tn_parse(arena, &err);
    if (mod && tn_resolve(st, arena, mod) < 0)
        tn_clear_error(st);
    arena_decref(arena);
    return 0;
}
