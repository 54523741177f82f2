/* One nftables rule under construction: its expressions, appended in order,
 * and the NEWRULE message that carries it into a batch.
 *
 * The e_* helpers append one expression (or a short fixed sequence) each.
 * They never fail one by one: an allocation failure marks the builder and
 * rule_put() then refuses the whole rule, so a rule body reads as the rule
 * it builds, without an error check per expression.
 */
#ifndef FW_RULE_H
#define FW_RULE_H

#include <stdbool.h>
#include <stdint.h>

#include "firewall/batch.h"
#include "firewall/nl.h"
#include "common/error.h"

struct rule_builder {
	struct nftnl_rule *r;
	bool failed;                 /* an expression could not be allocated */
};

static inline void rule_builder_freep(struct rule_builder *rb) { nl_rule_freep(&rb->r); }
/* A builder owned by a scope: rule_begin() it first. */
#define cleanup_rule_builder __attribute__((cleanup(rule_builder_freep)))

/* A fresh, empty rule.  Returns 0 or -1 with ERR (ENOMEM). */
int rule_begin(struct rule_builder *rb, struct cs_err *err);

/* Append RB's rule to CHAIN of TABLE (family inet) as one labelled message.
 * Returns 0, or -1 with ERR (also when an expression failed to allocate). */
int rule_put(struct fw_batch *fb, const char *table, const char *chain, struct rule_builder *rb,
	     const char *label, struct cs_err *err);

/* A new expression of kind NAME, or NULL (then RB is marked failed).  The
 * caller sets its attributes and hands it to rule_expr_add(). */
struct nftnl_expr *rule_expr_new(struct rule_builder *rb, const char *name);
void rule_expr_add(struct rule_builder *rb, struct nftnl_expr *e);

void e_meta(struct rule_builder *rb, uint32_t key, uint32_t dreg);
void e_cmp(struct rule_builder *rb, uint32_t sreg, uint32_t op, const void *data, uint32_t len);
void e_cmp8(struct rule_builder *rb, uint32_t sreg, uint32_t op, uint8_t v);
void e_payload(struct rule_builder *rb, uint32_t base, uint32_t off, uint32_t len, uint32_t dreg);
/* VERDICT (NF_ACCEPT, NFT_JUMP...); CHAIN for jump and goto, else NULL. */
void e_verdict(struct rule_builder *rb, int verdict, const char *chain);
void e_reject(struct rule_builder *rb, uint32_t type, uint8_t code);
/* ct state & MASK != 0 */
void e_ct_state(struct rule_builder *rb, uint32_t mask);
/* meta skuid OP UID */
void e_skuid(struct rule_builder *rb, uint32_t op, uint32_t uid);
/* SREG in set SET (one of firewall/sets.h's ids, created in the same batch) */
void e_lookup(struct rule_builder *rb, uint32_t sreg, int set);
/* meta nfproto FAMILY */
void e_nfproto(struct rule_builder *rb, int family);
/* the destination address of FAMILY into DREG */
void e_daddr(struct rule_builder *rb, int family, uint32_t dreg);
/* meta l4proto PROTO th dport PORT */
void e_l4(struct rule_builder *rb, uint8_t proto, uint16_t port);
/* tcp flags & (syn | ack) == syn (after e_l4 with IPPROTO_TCP) */
void e_tcp_syn_only(struct rule_builder *rb);
/* SREG not in set SET */
void e_lookup_not(struct rule_builder *rb, uint32_t sreg, int set);
/* meta mark & MASK == VALUE */
void e_mark_is(struct rule_builder *rb, uint32_t mask, uint32_t value);
/* ct mark OP VALUE (the whole mark) */
void e_ct_mark(struct rule_builder *rb, uint32_t op, uint32_t value);
/* ct mark set VALUE */
void e_ct_mark_set(struct rule_builder *rb, uint32_t value);
/* ct direction original */
void e_ct_original(struct rule_builder *rb);
/* xtables' NFQUEUE (revision 3) through nft_compat, queue NUM, no bypass:
 * kernels without nft's own queue expression still have this one. */
void e_queue(struct rule_builder *rb, uint16_t num);

#endif
