/* doctor's checks of the local backend: the engine, whose files the sandbox
 * writes, the image, nftables in a container's namespace, debootstrap. */
#ifndef CS_DOCKER_DOCTOR_H
#define CS_DOCKER_DOCTOR_H

/* One call per check: status (ok / warn / FAIL / skip / info), what,
 * detail, the fix (NULL: none). */
typedef void (*check_report_fn)(const char *status, const char *what, const char *detail,
				const char *fix);

void doctor_checks(check_report_fn report);

#endif
