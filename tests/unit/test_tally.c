/* The parent's bounded bookkeeping (firewall/tally.c): a tally never holds
 * more keys than its cap (the rest is only counted), the address map never
 * fills past 3/4, makes room only by dropping expired entries, and tells
 * IPv4 from IPv6. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "tap.h"
#include "firewall/tally.h"

int main(void)
{
	struct tally t;
	struct tally_ent *e;
	struct addrmap m;
	bool first;
	char long1[400], long2[400];
	uint8_t a[16] = { 203, 0, 113 };
	int64_t now = 100000;
	int got = 0;

	plan(23);
	ok(tally_init(&t, 3) == 0, "tally with room for 3 keys");
	e = tally_hit(&t, "a.test", 1, &first);
	ok(e && first && e->count == 1 && e->qtype == 1, "first hit: new entry");
	e = tally_hit(&t, "a.test", 28, &first);
	ok(e && !first && e->count == 2 && e->qtype == 1, "second hit: counted, first qtype kept");
	ok(tally_hit(&t, "b.test", 1, &first) && tally_hit(&t, "c.test", 1, &first), "two more keys");
	ok(tally_hit(&t, "d.test", 1, &first) == NULL && !first, "fourth key: no room");
	tally_hit(&t, "d.test", 1, &first);
	is_int(t.overflow, 2, "...its hits are counted as overflow");
	is_int(t.n, 3, "...and the tally stays at 3");
	e = tally_hit(&t, "c.test", 1, &first);
	ok(e && e->count == 2 && strcmp(e->key, "c.test") == 0, "known keys still count when full");
	ok(tally_hit(&t, "a.tes", 1, &first) == NULL, "a prefix of a key is another key");
	tally_free(&t);

	tally_init(&t, 4);
	memset(long1, 'x', sizeof long1 - 1);
	long1[sizeof long1 - 1] = '\0';
	memcpy(long2, long1, sizeof long2);
	long2[350] = 'y';       /* differs only past the stored length */
	e = tally_hit(&t, long1, 1, &first);
	ok(e && strlen(e->key) == sizeof e->key - 1, "a long key is cut to %zu bytes", sizeof e->key - 1);
	e = tally_hit(&t, long2, 1, &first);
	ok(e && !first && e->count == 2, "...so keys differing after that are one");
	tally_free(&t);

	/* address map: 12 entries fit a 16-slot table */
	ok(addrmap_init(&m, 12) == 0 && m.cap == 16, "address map for 12: 16 slots");
	for (int i = 0; i < 12; i++) {
		struct addr_ent *x;

		a[3] = (uint8_t)i;
		x = addrmap_get(&m, AF_INET, a, true, now);
		if (x) {
			got++;
			x->expires_ms = i < 4 ? now - 1 : now + 60000;   /* 0-3 expired */
		}
	}
	is_int(got, 12, "12 addresses stored");
	a[3] = 0;
	ok(addrmap_get(&m, AF_INET, a, false, now) != NULL, "an expired entry is still found before a purge");
	ok(addrmap_get(&m, AF_INET6, a, false, now) == NULL, "the same bytes as IPv6 are another key");
	a[3] = 200;
	{
		struct addr_ent *x = addrmap_get(&m, AF_INET, a, true, now);

		ok(x != NULL, "a 13th address fits after the expired ones go");
		if (x)
			x->expires_ms = now + 60000;
	}
	is_int(m.n, 9, "8 live + the new one");
	a[3] = 1;
	ok(addrmap_get(&m, AF_INET, a, false, now) == NULL, "expired entry gone");
	a[3] = 11;
	ok(addrmap_get(&m, AF_INET, a, false, now) != NULL, "live entry kept");
	for (int i = 0; i < 3; i++) {
		struct addr_ent *x;

		a[3] = (uint8_t)(210 + i);
		if ((x = addrmap_get(&m, AF_INET, a, true, now)))
			x->expires_ms = now + 60000;
	}
	is_int(m.n, 12, "full again with live entries");
	a[3] = 250;
	ok(addrmap_get(&m, AF_INET, a, true, now) == NULL, "nothing expired: no room, NULL");
	is_int(m.n, 12, "never past 3/4");
	a[3] = 11;
	ok(addrmap_get(&m, AF_INET, a, true, now) != NULL, "existing entries are still returned when full");
	addrmap_free(&m);
	return tap_done();
}
