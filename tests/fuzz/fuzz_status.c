/* libFuzzer: the parser of the init's status file (runner/core/rundir.c), which
 * the sandbox can write.  Whatever the text, the fields stay within their
 * buffers and hold no control characters (they go to the user's terminal). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runner/core/rundir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void no_controls(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n >= cap)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	char stage[32] = "", msg[64] = "";
	int status = 7, errnum = 0, found;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	found = rundir_parse_status(text, &status, stage, sizeof stage, msg, sizeof msg, &errnum);
	no_controls(stage, sizeof stage);
	no_controls(msg, sizeof msg);
	if (found && !strstr(text, "stage="))
		abort();
	if (status < -100000 || status > 100000 || errnum < -100000 || errnum > 100000)
		abort();
	free(text);
	return 0;
}
