/* codex-firewall ctl: the client of the control channel (firewall/control.h). */
#ifndef FW_CONTROL_CLIENT_H
#define FW_CONTROL_CLIENT_H

/* `codex-firewall ctl [--control PATH] allow|deny ENTRY... | list`: one
 * line per entry on stdout ("ok ENTRY: what" or "refused ENTRY: why"; list:
 * one entry a line).  Returns the exit status: 0, 125 when an entry was
 * refused as invalid, 1 when the channel or the kernel failed. */
int fw_ctl_main(int argc, char **argv);

#endif
