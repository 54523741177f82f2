#ifndef CS_CMD_DOCTOR_H
#define CS_CMD_DOCTOR_H

/* Prints one line per check (ok / warn / FAIL / skip / info) with the fix;
 * returns 0 when nothing failed. */
int cmd_doctor(void);

#endif
