/* Signals for the runner: SIGINT/SIGTERM/SIGHUP/SIGQUIT end the run (the
 * sandbox is stopped and removed, the terminal restored, exit 128+sig);
 * SIGWINCH resizes.  Handlers only set flags and write to a self-pipe the
 * event loop polls. */
#ifndef CS_SIG_H
#define CS_SIG_H

#include <stdbool.h>

int sig_setup(void);
int sig_fd(void);              /* readable when a signal arrived */
void sig_drain(void);
int sig_take_winch(void);      /* 1 if a SIGWINCH arrived since last call */
int sig_terminating(void);     /* the terminating signal number, or 0 */

/* The one abort policy: both HTTP clients (Docker's and E2B's) ask
 * sig_abort_transfers() in their curl callbacks.  A pending terminating
 * signal aborts transfers at once (normal); while finishing after a signal
 * (E2B's sync-back) only a further signal does; during cleanup (stop and
 * remove, the final kill) nothing does. */
enum sig_abort { SIG_ABORT_ON_SIGNAL, SIG_ABORT_ON_NEW_SIGNAL, SIG_ABORT_NEVER };
void sig_set_abort(enum sig_abort mode);      /* ON_NEW_SIGNAL forgets older ones */
enum sig_abort sig_swap_abort(enum sig_abort mode);  /* as is; returns the old mode */
bool sig_abort_transfers(void);
/* Sleep MS milliseconds unless the policy aborts it (-1 then). */
int sig_sleep_ms(long ms);

/* Restore default dispositions in a child before exec. */
void sig_reset_for_child(void);

#endif
