/* Signals for the runner: SIGINT/SIGTERM/SIGHUP/SIGQUIT end the run (the
 * sandbox is stopped and removed, the terminal restored, exit 128+sig);
 * SIGWINCH resizes.  Handlers only set flags and write to a self-pipe the
 * event loop polls. */
#ifndef CS_SIG_H
#define CS_SIG_H

int sig_setup(void);
int sig_fd(void);              /* readable when a signal arrived */
void sig_drain(void);
int sig_take_winch(void);      /* 1 if a SIGWINCH arrived since last call */
int sig_terminating(void);     /* the terminating signal number, or 0 */
/* Restore default dispositions in a child before exec. */
void sig_reset_for_child(void);

#endif
