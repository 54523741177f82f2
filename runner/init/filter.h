#ifndef CS_INIT_FILTER_H
#define CS_INIT_FILTER_H

#include <stddef.h>
#include <seccomp.h>

/* The sandbox's libseccomp filter, built but not loaded (the unit test
 * exports it as BPF and runs it against crafted calls).  NULL with errno and
 * WHY on failure; the caller releases it with seccomp_release(). */
scmp_filter_ctx filter_build(char *why, size_t whysz);

/* Build and load it in the calling process (inherited across fork and exec).
 * On failure returns -1 with errno and WHY. */
int filter_install(char *why, size_t whysz);

#endif
