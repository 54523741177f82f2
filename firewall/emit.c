#include "firewall/emit.h"

#include <stdarg.h>
#include <stdio.h>

void emit(const char *fmt, ...)
{
	char line[EMIT_LINE_MAX + 2];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof line - 2)
		n = (int)sizeof line - 2;
	for (int i = 0; i < n; i++)   /* one line, whatever a message held */
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[n++] = '\n';
	line[n] = '\0';
	fputs(line, stdout);
	fflush(stdout);
}

const char *emit_json_str(const char *in, char *out, size_t outsz)
{
	size_t o = 0;

	for (; *in && o + 7 < outsz; in++) {
		unsigned char c = (unsigned char)*in;

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20) {
			o += (size_t)snprintf(out + o, outsz - o, "\\u%04x", c);
		} else {
			out[o++] = c < 0x7f ? (char)c : '?';
		}
	}
	out[o] = '\0';
	return out;
}
