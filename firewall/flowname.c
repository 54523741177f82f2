#include "firewall/flowname.h"

#include <stdbool.h>

static const char *const reason_text[] = {
	[FLOW_R_NONE] = "none",
	[FLOW_R_NOT_TLS] = "not-tls",
	[FLOW_R_NOT_HTTP] = "not-http",
	[FLOW_R_MALFORMED] = "malformed",
	[FLOW_R_TOO_BIG] = "too-big",
	[FLOW_R_SEQUENCE] = "sequence",
	[FLOW_R_NO_SNI] = "no-sni",
	[FLOW_R_DUP_EXT] = "duplicate-extension",
	[FLOW_R_NO_HOST] = "no-host",
	[FLOW_R_DUP_HOST] = "duplicate-host",
	[FLOW_R_FOLDED] = "folded-header",
	[FLOW_R_TARGET] = "absolute-target",
	[FLOW_R_BAD_NAME] = "bad-name",
	[FLOW_R_NOT_ALLOWED] = "not-allowed",
	[FLOW_R_NOT_LEARNED] = "not-learned",
	[FLOW_R_PORT] = "port",
	[FLOW_R_URGENT] = "urgent-data",
	[FLOW_R_TABLE_FULL] = "table-full",
	[FLOW_R_UNKNOWN_FLOW] = "unknown-flow",
};

const char *flow_reason_text(enum flow_reason r)
{
	if ((unsigned)r >= sizeof reason_text / sizeof reason_text[0] || !reason_text[r])
		return "unknown";
	return reason_text[r];
}

static bool name_byte(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int flow_name_canon(const uint8_t *s, size_t n, char out[FLOW_NAME_MAX + 1])
{
	size_t lab = 0;
	bool digits = true;

	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0 || n > FLOW_NAME_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c - 'A' + 'a');
		if (c == '.') {
			if (!lab)
				return -1;
			lab = 0;
			digits = true;
		} else if (name_byte(c)) {
			if (++lab > 63)
				return -1;
			digits = digits && c >= '0' && c <= '9';
		} else {
			return -1;
		}
		out[i] = (char)c;
	}
	if (lab == 0 || digits)
		return -1;
	out[n] = '\0';
	return (int)n;
}
