#include "firewall/dnsf_control.h"

#include <string.h>
#include <sys/socket.h>

#include "firewall/allowlist.h"
#include "firewall/dnscache.h"

int dnsf_parent_input(struct dnsf_state *st)
{
	struct fw_msg m;
	ssize_t r = recv(st->cfg->priv_fd, &m, sizeof m, MSG_DONTWAIT | MSG_TRUNC);

	if (r == 0)
		return 0;
	if (r == (ssize_t)sizeof m)
		dnsf_control_apply(st, &m);
	return 1;
}

static void remove_entry(struct allowlist *al, const struct allow_entry *e)
{
	for (size_t i = 0; i < al->n; i++) {
		const struct allow_entry *a = &al->v[i];

		if (a->kind != e->kind || a->prefix != e->prefix || strcmp(a->name, e->name) != 0 ||
		    memcmp(a->addr, e->addr, sizeof a->addr) != 0)
			continue;
		memmove(&al->v[i], &al->v[i + 1], (al->n - i - 1) * sizeof al->v[0]);
		al->n--;
		return;
	}
}

int dnsf_control_apply(struct dnsf_state *st, const struct fw_msg *m)
{
	struct cs_err err = { 0 };
	struct allow_entry e;
	size_t slots;

	if ((m->op != FW_OP_CTL_ALLOW && m->op != FW_OP_CTL_DENY) ||
	    !memchr(m->name, '\0', sizeof m->name) ||
	    allow_entry_parse(m->name, "the firewall", &e, &err) < 0)
		return -1;
	if (m->op == FW_OP_CTL_ALLOW)
		return allowlist_add_text(st->cfg->al, m->name, "the firewall", &err) < 0 ? -1 : 0;
	remove_entry(st->cfg->al, &e);
	/* no cached answer may outlive the name's place on the list */
	slots = st->cache.n_slots;
	dnscache_free(&st->cache);
	if (dnscache_init(&st->cache, slots, DNSCACHE_BYTES) < 0)
		dnscache_init(&st->cache, 0, 0);
	return 0;
}
