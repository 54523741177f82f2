/* The parent applying a control request (firewall/control.h) to its own
 * allowlist, the live table and the DNS child's list.  The order keeps it
 * fail-closed: an allow is in the parent's list before the child may ask
 * for its addresses; a deny leaves the parent's list first, so an insert the
 * child asks for in between is refused. */
#include "firewall/control_apply.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "firewall/parent.h"
#include "firewall/privsep.h"

static bool same_entry(const struct allow_entry *a, const struct allow_entry *b)
{
	return a->kind == b->kind && a->prefix == b->prefix && strcmp(a->name, b->name) == 0 &&
	       memcmp(a->addr, b->addr, sizeof a->addr) == 0;
}

static long find_entry(const struct allowlist *al, const struct allow_entry *e)
{
	for (size_t i = 0; i < al->n; i++)
		if (same_entry(&al->v[i], e))
			return (long)i;
	return -1;
}

static bool is_net(const struct allow_entry *e)
{
	return e->kind != ALLOW_HOST && e->kind != ALLOW_WILDCARD;
}

/* Tell the DNS child (FW_OP_CTL_ALLOW / FW_OP_CTL_DENY); never blocks. */
static int tell_child(struct fw_parent *pp, uint32_t op, const char *entry)
{
	struct fw_msg m;

	memset(&m, 0, sizeof m);
	m.op = op;
	snprintf(m.name, sizeof m.name, "%s", entry);
	return send(pp->priv_fd, &m, sizeof m, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)sizeof m ? 0 : -1;
}

static void fail_reply(struct fw_ctl_reply *reply, int status, const struct cs_err *err)
{
	char line[CS_ERR_MSG_MAX + CS_ERR_HINT_MAX + 300];

	cs_err_format(err, line, sizeof line);
	for (char *c = line; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	reply->status = status;
	snprintf(reply->text, sizeof reply->text, "%s", line);
}

/* The DNS-learned elements whose name (the one the parent's addrmap
 * recorded) the list no longer allows: removed from allow4/allow6.  An
 * element whose name is unknown (the bounded names tally was full when it
 * was inserted) is removed too: fail closed, a later allowed answer inserts
 * it again.  Returns how many. */
static unsigned drop_learned(struct fw_parent *pp)
{
	const struct allowlist *al = &pp->cfg->al;
	struct addrmap *m = &pp->amap;
	unsigned dropped = 0;

	for (size_t i = 0; i < m->cap; i++) {
		struct addr_ent *e = &m->v[i];
		struct cs_err err = { 0 };

		bool known = e->name >= 0 && (size_t)e->name < pp->names.n;

		if (!e->used || e->expires_ms == 0)
			continue;
		if ((known && allowlist_match_name(al, pp->names.v[e->name].key)) ||
		    allowlist_match_addr(al, e->family, e->addr))
			continue;
		if (pp->ctl.drop && pp->ctl.drop(pp->ctl.ctx, e->family, e->addr, &err) < 0)
			continue;
		e->expires_ms = 0;      /* a later allow inserts it again */
		dropped++;
	}
	return dropped;
}

static void apply_allow(struct fw_parent *pp, const struct allow_entry *e, const char *canon,
			struct fw_ctl_reply *reply)
{
	struct allowlist *al = &pp->cfg->al;
	struct cs_err err = { 0 };
	int added = allowlist_add_text(al, canon, "codex-firewall ctl", &err);

	if (added < 0) {
		fail_reply(reply, FW_CTL_BAD, &err);
		return;
	}
	if (added == 0) {
		/* the child is told again: an earlier notice may have been lost */
		if (tell_child(pp, FW_OP_CTL_ALLOW, canon) != 0) {
			cs_fail(&err, 0, "already allowed, but the DNS filter could not be told");
			fail_reply(reply, FW_CTL_FAILED, &err);
			return;
		}
		snprintf(reply->text, sizeof reply->text, "already allowed");
		return;
	}
	if (is_net(e) ? pp->ctl.set_net && pp->ctl.set_net(pp->ctl.ctx, al, &err) < 0 :
			tell_child(pp, FW_OP_CTL_ALLOW, canon) < 0) {
		if (!err.set)
			cs_fail(&err, 0, "the DNS filter could not be told");
		al->n--;        /* nothing changed */
		fail_reply(reply, FW_CTL_FAILED, &err);
		return;
	}
	pp->ctl.changes++;
	/* the child's rebinding guard lets answers into an allowed range through */
	if (is_net(e) && tell_child(pp, FW_OP_CTL_ALLOW, canon) != 0) {
		cs_fail(&err, 0, "added, but the DNS filter could not be told");
		fail_reply(reply, FW_CTL_FAILED, &err);
		return;
	}
	snprintf(reply->text, sizeof reply->text, "added");
}

static void apply_deny(struct fw_parent *pp, const struct allow_entry *e, const char *canon,
		       struct fw_ctl_reply *reply)
{
	struct allowlist *al = &pp->cfg->al;
	struct cs_err err = { 0 };
	long i = find_entry(al, e);
	struct allow_entry gone;

	if (i < 0) {
		/* a retry after a FAILED deny: the child may still have the name */
		if (tell_child(pp, FW_OP_CTL_DENY, canon) != 0) {
			cs_fail(&err, 0, "not on the list, but the DNS filter could not be told");
			fail_reply(reply, FW_CTL_FAILED, &err);
			return;
		}
		snprintf(reply->text, sizeof reply->text, "was not on the list");
		return;
	}
	gone = al->v[i];
	memmove(&al->v[i], &al->v[i + 1], (al->n - (size_t)i - 1) * sizeof al->v[0]);
	al->n--;
	pp->ctl.changes++;
	if (is_net(e)) {
		if (pp->ctl.set_net && pp->ctl.set_net(pp->ctl.ctx, al, &err) < 0) {
			al->v[al->n++] = gone;      /* the table still has it: say so */
			fail_reply(reply, FW_CTL_FAILED, &err);
			return;
		}
		if (tell_child(pp, FW_OP_CTL_DENY, canon) == -1) {
			cs_fail(&err, 0, "removed, but the DNS filter could not be told");
			fail_reply(reply, FW_CTL_FAILED, &err);
			return;
		}
		snprintf(reply->text, sizeof reply->text, "removed");
		return;
	}
	if (tell_child(pp, FW_OP_CTL_DENY, canon) < 0) {
		/* fail closed: the parent refuses the name's inserts anyway */
		cs_fail(&err, 0, "removed, but the DNS filter could not be told");
		fail_reply(reply, FW_CTL_FAILED, &err);
	}
	if (reply->status == FW_CTL_OK)
		snprintf(reply->text, sizeof reply->text, "removed (%u learned addresses closed)",
			 drop_learned(pp));
	else
		drop_learned(pp);
}

static void apply_list(struct fw_parent *pp, const struct fw_ctl_req *req, struct fw_ctl_reply *reply,
		       bool (*each)(void *arg, const struct fw_ctl_reply *r), void *arg)
{
	const struct allowlist *al = &pp->cfg->al;
	size_t sent = 0;
	bool lost = false;

	for (size_t i = 0; i < al->n && each && !lost; i++) {
		struct fw_ctl_reply r = { .seq = req->seq, .status = FW_CTL_MORE };

		if (allow_entry_format(&al->v[i], r.text, sizeof r.text) > 0) {
			/* the client stopped reading: the rest would be lost too */
			lost = !each(arg, &r);
			sent += !lost;
		}
	}
	if (lost) {
		/* never a list that looks whole and is not */
		reply->status = FW_CTL_FAILED;
		snprintf(reply->text, sizeof reply->text,
			 "%zu of %zu entries sent (the client did not read the rest in time); "
			 "the whole list is in /etc/codex/allowed_domains.txt", sent, al->n);
	}
}

void fw_control_apply(void *parent, const struct fw_ctl_req *req, struct fw_ctl_reply *reply,
		      bool (*each)(void *arg, const struct fw_ctl_reply *r), void *arg)
{
	struct fw_parent *pp = parent;
	struct allow_entry e;
	struct cs_err err = { 0 };
	char canon[FW_CTL_TEXT];

	memset(reply, 0, sizeof *reply);
	reply->seq = req->seq;
	reply->status = FW_CTL_OK;
	if (req->op == FW_CTL_LIST) {
		apply_list(pp, req, reply, each, arg);
		return;
	}
	if (allow_entry_parse(req->entry, "codex-firewall ctl", &e, &err) < 0 ||
	    allow_entry_format(&e, canon, sizeof canon) <= 0) {
		if (!err.set)
			cs_fail(&err, 0, "invalid allowlist entry '%s'", req->entry);
		fail_reply(reply, FW_CTL_BAD, &err);
		return;
	}
	if (req->op == FW_CTL_ALLOW)
		apply_allow(pp, &e, canon, reply);
	else
		apply_deny(pp, &e, canon, reply);
}
