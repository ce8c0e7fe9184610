/* plot.h: the REPL comforts plot() and progress(), added to the builtins at start-up. */
#ifndef TN_PLOT_H
#define TN_PLOT_H

#include "object.h"

TN_MUST_CHECK int plot_init(TnState *st, TnDict *builtins);

#endif
