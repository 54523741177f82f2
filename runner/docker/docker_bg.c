#include "runner/docker/docker_bg.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

static void *bg_main(void *p)
{
	struct docker_bg *bg = p;

	bg->rc = bg->fn(&bg->d, bg->arg, &bg->err);
	return NULL;
}

int docker_bg_start(struct docker_bg *bg, const struct docker *from, docker_bg_fn fn, void *arg,
		    bool never_abort, struct cs_err *err)
{
	sigset_t all, saved;
	int e;

	memset(bg, 0, sizeof *bg);
	bg->d = *from;
	bg->d.never_abort = never_abort;
	bg->d.curl = curl_easy_init();
	if (!bg->d.curl)
		return cs_fail(err, ENOMEM, "curl_easy_init");
	bg->fn = fn;
	bg->arg = arg;
	/* the thread inherits a mask blocking everything: the runner's
	 * handlers, its self-pipe and its waits stay on the main thread */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &saved);
	e = pthread_create(&bg->th, NULL, bg_main, bg);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (e) {
		docker_close(&bg->d);
		return cs_fail(err, e, "starting a thread for the Docker engine");
	}
	bg->started = true;
	return 0;
}

int docker_bg_join(struct docker_bg *bg, struct cs_err *err)
{
	if (!bg->started)
		return 0;
	pthread_join(bg->th, NULL);
	bg->started = false;
	docker_close(&bg->d);
	if (bg->rc < 0 && err && !err->set)
		*err = bg->err;
	return bg->rc;
}
