/* codex-firewall: the network owner of a codex-sandbox pod.
 *
 *   codex-firewall serve [--allow ENTRY]... [--upstream IP[#PORT]]... [--dns-uid UID]
 *                        [--min-ttl S] [--max-ttl S] [--grace S] [--max-addrs-per-name N]
 *                        [--set-size N] [--listen IP[#PORT]] [--extra-dns-uid UID]
 *                        [--guard-host IP]... [--sandbox-id ID] [--control PATH]
 *                        [--flow-check on|off]
 *   codex-firewall ctl [--control PATH] allow|deny ENTRY... | list
 *   codex-firewall check
 *
 * The stdout protocol is described in firewall/daemon.h.  This file only
 * turns argv into a struct fw_config and dispatches.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "firewall/control_client.h"
#include "firewall/daemon.h"
#include "firewall/dns.h"

static const char usage[] =
	"usage: codex-firewall serve [--allow ENTRY]... [--upstream IP[#PORT]]... [--dns-uid UID]\n"
	"                            [--min-ttl S] [--max-ttl S] [--grace S] [--max-addrs-per-name N]\n"
	"                            [--set-size N] [--listen IP[#PORT]] [--extra-dns-uid UID]\n"
	"                            [--guard-host IP]... [--sandbox-id ID] [--control PATH]\n"
	"                            [--flow-check on|off]\n"
	"       codex-firewall ctl [--control PATH] allow|deny ENTRY... | list\n"
	"       codex-firewall check\n";

static int num(const char *opt, const char *s, unsigned long lo, unsigned long hi, uint32_t *out,
	       struct cs_err *err)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s ? s : "", &end, 10);
	if (!s || !*s || *end || errno || v < lo || v > hi || s[0] == '-') {
		cs_fail(err, 0, "invalid value '%s' for %s", s ? s : "", opt);
		return cs_hint(err, "give a number from %lu to %lu", lo, hi);
	}
	*out = (uint32_t)v;
	return 0;
}

static int parse_serve(int argc, char **argv, struct fw_config *cfg, struct cs_err *err)
{
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int r = 0;

		static const char *const known[] = { "--allow", "--upstream", "--listen", "--dns-uid",
			"--extra-dns-uid", "--min-ttl", "--max-ttl", "--grace", "--max-addrs-per-name",
			"--set-size", "--guard-host", "--sandbox-id", "--control", "--flow-check", NULL };
		bool is_known = false;

		for (size_t k = 0; known[k]; k++)
			is_known |= strcmp(o, known[k]) == 0;
		if (!is_known) {
			cs_fail(err, 0, "unknown option '%s'", o);
			return cs_hint(err, "see codex-firewall --help");
		}
		if (!v) {
			cs_fail(err, 0, "%s needs a value", o);
			return cs_hint(err, "see codex-firewall --help");
		}
		i++;
		if (strcmp(o, "--allow") == 0) {
			r = allowlist_add_text(&cfg->al, v, "--allow", err);
		} else if (strcmp(o, "--upstream") == 0) {
			if (cfg->n_up >= FW_MAX_UPSTREAMS) {
				cs_fail(err, 0, "more than %d --upstream", FW_MAX_UPSTREAMS);
				return cs_hint(err, "give at most %d resolvers", FW_MAX_UPSTREAMS);
			}
			r = fw_parse_hostport(v, 53, "--upstream", &cfg->up[cfg->n_up], err);
			if (r == 0)
				cfg->n_up++;
		} else if (strcmp(o, "--guard-host") == 0) {
			r = fw_parse_guard_host(v, cfg, err);
		} else if (strcmp(o, "--sandbox-id") == 0) {
			r = fw_parse_sandbox_id(v, cfg, err);
		} else if (strcmp(o, "--control") == 0) {
			cfg->control_path = v;
		} else if (strcmp(o, "--listen") == 0) {
			r = fw_parse_hostport(v, 53, "--listen", &cfg->listen, err);
		} else if (strcmp(o, "--dns-uid") == 0) {
			/* never 0: the filter must not be root */
			r = num(o, v, 1, 4294967294ul, &cfg->dns_uid, err);
			cfg->dns_gid = cfg->dns_uid;
		} else if (strcmp(o, "--extra-dns-uid") == 0) {
			r = num(o, v, 0, 4294967294ul, &cfg->extra_dns_uid, err);
			cfg->extra_dns = true;
		} else if (strcmp(o, "--min-ttl") == 0) {
			r = num(o, v, 0, 604800, &cfg->min_ttl, err);
		} else if (strcmp(o, "--max-ttl") == 0) {
			r = num(o, v, 1, 604800, &cfg->max_ttl, err);
		} else if (strcmp(o, "--grace") == 0) {
			r = num(o, v, 0, 86400, &cfg->grace, err);
		} else if (strcmp(o, "--max-addrs-per-name") == 0) {
			r = num(o, v, 1, DNS_MAX_ADDRS, &cfg->max_addrs, err);
		} else if (strcmp(o, "--flow-check") == 0) {
			if (strcmp(v, "on") && strcmp(v, "off")) {
				cs_fail(err, 0, "--flow-check takes on or off, not '%.40s'", v);
				return cs_hint(err, "see codex-firewall --help");
			}
			cfg->flow_check = strcmp(v, "on") == 0;
		} else if (strcmp(o, "--set-size") == 0) {
			r = num(o, v, 16, 1u << 20, &cfg->set_size, err);
		} else {
			cs_fail(err, 0, "unknown option '%s'", o);
			return cs_hint(err, "see codex-firewall --help");
		}
		if (r < 0)
			return -1;
	}
	if (cfg->min_ttl > cfg->max_ttl) {
		cs_fail(err, 0, "--min-ttl %u is above --max-ttl %u", cfg->min_ttl, cfg->max_ttl);
		return cs_hint(err, "the floor must not exceed the cap");
	}
	for (size_t i = 0; i < cfg->n_up; i++)
		if (cfg->up[i].family == cfg->listen.family && cfg->up[i].port == cfg->listen.port &&
		    memcmp(cfg->up[i].addr, cfg->listen.addr, 16) == 0) {
			cs_fail(err, 0, "--upstream is the filter's own --listen address");
			return cs_hint(err, "the upstream must be another resolver, or queries would loop");
		}
	return 0;
}

int main(int argc, char **argv)
{
	struct fw_config cfg;
	struct cs_err err = { 0 };
	struct timespec ts;
	int status;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && strcmp(argv[1], "check") == 0 && argc == 2)
		return fw_check();
	if (argc >= 2 && strcmp(argv[1], "ctl") == 0)
		return fw_ctl_main(argc, argv);
	if (argc < 2 || strcmp(argv[1], "serve") != 0) {
		bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));

		fputs(usage, help ? stdout : stderr);
		return help ? 0 : 1;
	}
	fw_config_defaults(&cfg);
	cfg.t0_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	if (parse_serve(argc, argv, &cfg, &err) < 0) {
		char line[CS_ERR_MSG_MAX + CS_ERR_HINT_MAX + 300];

		cs_err_format(&err, line, sizeof line);
		for (char *c = line; *c; c++)   /* the protocol is one line */
			if (*c == '\n' || *c == '\r')
				*c = ' ';
		printf("ERROR %s\n", line);
		fflush(stdout);
		allowlist_free(&cfg.al);
		return 1;
	}
	status = fw_serve(&cfg);
	allowlist_free(&cfg.al);
	return status;
}
