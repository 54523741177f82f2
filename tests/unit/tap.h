/* Minimal TAP producer for the C unit tests (crun's RUN_TEST idea).
 * Each test binary prints "ok N - name" / "not ok N - name" lines and a
 * trailing plan; tests/run.sh counts them. */
#ifndef TAP_H
#define TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed, tap_plan = -1;

/* plan(N): declare, before the first result, how many results follow (a
 * literal in the test file; tests/run.sh holds the file to it). */
static inline void plan(int n)
{
	tap_plan = n;
	printf("1..%d\n", n);
}

#define ok(cond, ...) do { \
	int _c = !!(cond); \
	printf("%sok %d - ", _c ? "" : "not ", ++tap_n); \
	printf(__VA_ARGS__); \
	printf("\n"); \
	if (!_c) { tap_failed++; printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define is_str(got, want, ...) do { \
	const char *_g = (got), *_w = (want); \
	int _eq = (_g && _w) ? strcmp(_g, _w) == 0 : _g == _w; \
	ok(_eq, __VA_ARGS__); \
	if (!_eq) printf("#   got:  '%s'\n#   want: '%s'\n", _g ? _g : "(null)", _w ? _w : "(null)"); \
} while (0)

#define is_int(got, want, ...) do { \
	long long _g = (long long)(got), _w = (long long)(want); \
	ok(_g == _w, __VA_ARGS__); \
	if (_g != _w) printf("#   got: %lld want: %lld\n", _g, _w); \
} while (0)

static inline int tap_done(void)
{
	if (tap_plan < 0)
		printf("1..%d\n", tap_n);
	else if (tap_n != tap_plan) {
		printf("# planned %d results, reported %d\n", tap_plan, tap_n);
		return 1;
	}
	return tap_failed ? 1 : 0;
}

#endif
