#ifndef CS_PROC_H
#define CS_PROC_H

#include "common/error.h"

/* Run ARGV (helper scripts of ours) with stdout -> our stderr, wait for it.
 * While it runs, LABEL is shown with a spinner and elapsed time when stderr
 * is a terminal.  A terminating signal to us kills it.  Returns its exit
 * status, or -1 with ERR. */
int proc_run(char *const argv[], const char *label, struct cs_err *err);

#endif
