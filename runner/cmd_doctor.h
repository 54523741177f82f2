#ifndef CS_DOCTOR_H
#define CS_DOCTOR_H

/* Prints one line per check (ok / warn / FAIL / skip) with the fix;
 * returns 0 when nothing failed. */
int cmd_doctor(void);

typedef void (*doctor_report_fn)(const char *status, const char *what, const char *detail,
				 const char *fix);

#endif
