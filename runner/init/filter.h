#ifndef CS_INIT_FILTER_H
#define CS_INIT_FILTER_H

#include <stddef.h>

/* Install the sandbox's libseccomp filter in the calling process (inherited
 * by everything it execs).  On failure returns -1 with errno and WHY. */
int filter_install(char *why, size_t whysz);

#endif
