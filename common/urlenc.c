#include "common/urlenc.h"

int url_encode(const char *s, char *out, size_t outsz)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t j = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			if (j + 1 >= outsz)
				return -1;
			out[j++] = (char)c;
		} else {
			if (j + 3 >= outsz)
				return -1;
			out[j++] = '%';
			out[j++] = hex[c >> 4];
			out[j++] = hex[c & 15];
		}
	}
	if (j >= outsz)
		return -1;
	out[j] = '\0';
	return 0;
}
