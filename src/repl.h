/* repl.h: the interactive loop (prompts, history, completion, %magics) and Ctrl-C handling. */
#ifndef TN_REPL_H
#define TN_REPL_H

#include "eval.h"

#define TN_VERSION "0.1"

/* Installs the SIGINT handler: it only sets tn_interrupted (the evaluator raises
 * KeyboardInterrupt at its next safe point) and wakes a waiting prompt. A third
 * Ctrl-C that finds the previous ones still unconsumed ends the process (status
 * 130), so a loop that never polls cannot trap the user. Call once, early. */
void repl_init_signals(void);

/* Runs the read-eval-print loop on `globals` until Ctrl-D or exit(). On a
 * terminal it uses readline (history in ~/.tn_history, Tab completion); on any
 * other stdin it reads plain lines and writes prompts to stderr, like
 * `python -i`. Errors are reported and the loop goes on. `banner` prints the
 * greeting first. Returns the process exit status. */
int repl_run(TnState *st, TnDict *globals, bool banner);

#endif
