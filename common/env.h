/* The one seam between the program and its environment variables.  Code
 * reads variables only through cs_getenv(); a unit test swaps the source
 * (env_use) for a table of its own, so the planning phase can be tested
 * without touching the process environment. */
#ifndef CS_ENV_H
#define CS_ENV_H

typedef const char *(*env_source_fn)(const char *name);

/* The value of NAME, or NULL (also for an empty source). */
const char *cs_getenv(const char *name);
/* Read from FN from now on; NULL restores the process environment. */
void env_use(env_source_fn fn);

#endif
