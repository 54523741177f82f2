/* Cleanup attributes for owned resources (crun/bubblewrap habit) and small
 * helpers.  Ownership leaves a scope through steal_pointer() / steal_fd(). */
#ifndef CS_UTIL_H
#define CS_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

static inline void cs_freep(void *p) { free(*(void **)p); }
static inline void cs_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

/* A child we started: killed and reaped if it is still ours at scope end. */
static inline void cs_killp(pid_t *pid)
{
	if (*pid > 0) {
		int saved = errno;

		kill(*pid, SIGKILL);
		while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
			;
		errno = saved;
	}
}
static inline void cs_json_deletep(cJSON **j) { cJSON_Delete(*j); }
static inline void cs_curl_cleanupp(CURL **c) { if (*c) curl_easy_cleanup(*c); }
static inline void cs_slist_freep(struct curl_slist **l) { curl_slist_free_all(*l); }
static inline void cs_fclosep(FILE **f) { if (*f) fclose(*f); }
static inline void cs_closedirp(DIR **d) { if (*d) closedir(*d); }

#define cleanup_free __attribute__((cleanup(cs_freep)))
#define cleanup_close __attribute__((cleanup(cs_closep)))
#define cleanup_pid __attribute__((cleanup(cs_killp)))
#define cleanup_json __attribute__((cleanup(cs_json_deletep)))
#define cleanup_curl __attribute__((cleanup(cs_curl_cleanupp)))
#define cleanup_slist __attribute__((cleanup(cs_slist_freep)))
#define cleanup_fclose __attribute__((cleanup(cs_fclosep)))
#define cleanup_dir __attribute__((cleanup(cs_closedirp)))

#define steal_pointer(pp) ({ __typeof__(*(pp)) _p = *(pp); *(pp) = NULL; _p; })
static inline int steal_fd(int *fd) { int f = *fd; *fd = -1; return f; }
static inline pid_t steal_pid(pid_t *p) { pid_t v = *p; *p = -1; return v; }

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
