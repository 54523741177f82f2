/* The local terminal: raw mode on, restored on every exit path (normal
 * return, error, fatal signal), window size.  Shared by both backends. */
#ifndef CS_TTY_H
#define CS_TTY_H

#include <stdbool.h>

#include "common/error.h"

/* Put stdin's terminal in raw mode and remember the old settings.
 * Idempotent. */
int tty_raw(struct cs_err *err);
/* Restore the saved settings (async-signal-safe; idempotent). */
void tty_restore(void);
/* Current size of the terminal on stdout (or stdin); 0 when unknown. */
int tty_size(unsigned short *rows, unsigned short *cols);

#endif
