/* Minimal TAP producer for the C unit tests (crun's RUN_TEST idea).
 * Each test binary first declares its plan with plan(N) -- N a literal in
 * the test file -- then prints "ok N - name" / "not ok N - name" lines;
 * tests/run.sh holds it to the plan (a result before the plan, no plan, or a
 * count different from the plan fails the run). */
#ifndef TAP_H
#define TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed, tap_plan = -1;

/* plan(N): declare, before the first result, how many results follow.  A
 * second plan, or a plan after a result, is itself a failure. */
static inline void plan(int n)
{
	if (tap_plan >= 0 || tap_n > 0) {
		printf("# plan(%d) after a plan or a result\n", n);
		tap_failed++;
		return;
	}
	tap_plan = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

#define ok(cond, ...) do { \
	int _c = !!(cond); \
	printf("%sok %d - ", _c ? "" : "not ", ++tap_n); \
	printf(__VA_ARGS__); \
	printf("\n"); \
	if (!_c) { tap_failed++; printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); } \
	fflush(stdout); \
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

/* The exit status: non-zero on a failure, a missing plan, or a result count
 * different from the plan (no counter ever stands in for the plan). */
static inline int tap_done(void)
{
	if (tap_plan < 0) {
		printf("# no plan: call plan(N) before the first result\n");
		return 1;
	}
	if (tap_n != tap_plan) {
		printf("# planned %d results, reported %d\n", tap_plan, tap_n);
		return 1;
	}
	return tap_failed ? 1 : 0;
}

#endif
