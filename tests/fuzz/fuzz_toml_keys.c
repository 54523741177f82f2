/* libFuzzer: the TOML key scanner (runner/core/toml_keys.c), which reads the
 * Codex home's config.toml, a file the sandbox can write.  Input: the first
 * line is the dotted key asked for, the rest the TOML text, handed over
 * without a terminating NUL so any read past LEN is caught.  The answer
 * must not depend on what follows the text in memory. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runner/core/toml_keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size < 128 ? size : 128);
	size_t klen = nl ? (size_t)(nl - data) : 0;
	size_t tlen = nl ? size - klen - 1 : size;
	char key[129];
	char *text, *text2;
	bool a, b;

	memcpy(key, data, klen);
	key[klen] = '\0';
	if (!klen || memchr(key, '\0', klen))
		strcpy(key, "features.daemon_auto_start");
	text = malloc(tlen ? tlen : 1);
	text2 = malloc(tlen + 1);
	if (!text || !text2) {
		free(text);
		free(text2);
		return 0;
	}
	memcpy(text, data + size - tlen, tlen);
	memcpy(text2, text, tlen);
	text2[tlen] = '=';   /* a different byte after the end */
	a = toml_sets_key(text, tlen, key);
	b = toml_sets_key(text2, tlen, key);
	if (a != b)
		abort();
	free(text);
	free(text2);
	return 0;
}
