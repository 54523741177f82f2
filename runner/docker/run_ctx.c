#include "runner/docker/run_ctx.h"

#include <stdio.h>
#include <string.h>

void run_ctx_init(struct run_ctx *c)
{
	memset(c, 0, sizeof *c);
	c->sock = -1;
	c->rc = -1;
	c->placeholder_existed = true;
	buf_init(&c->early, 1u << 20);
	pod_init(&c->pod);
}

void run_ctx_placeholders(struct run_ctx *c, const struct sandbox_plan *p)
{
	memset(c, 0, sizeof *c);
	c->sock = c->pod.sock = -1;
	c->rc = -1;
	snprintf(c->id.run_id, sizeof c->id.run_id, "<run-id>");
	snprintf(c->id.boot_id, sizeof c->id.boot_id, "<boot-id>");
	snprintf(c->id.pidns, sizeof c->id.pidns, "<pidns>");
	snprintf(c->rd.dir, sizeof c->rd.dir, "<run-dir>");
	snprintf(c->pod.owner_id, sizeof c->pod.owner_id, "<owner-id>");
	snprintf(c->sandbox_id, sizeof c->sandbox_id, "<sandbox-id>");
	/* The engine's facts are not asked: the common case is assumed. */
	c->ids = (struct sandbox_ids){ .uid = p->uid, .gid = p->gid };
	c->d.api = APIV_OURS_MAX;
	if (p->auth_writeback) {
		c->wb.active = true;
		rundir_path(&c->rd, "auth.json", c->wb.private_copy, sizeof c->wb.private_copy);
	} else if (p->auth_private_copy) {
		rundir_path(&c->rd, "auth.json", c->auth_copy, sizeof c->auth_copy);
	}
}
